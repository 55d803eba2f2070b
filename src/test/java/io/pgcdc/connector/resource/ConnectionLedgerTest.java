package io.pgcdc.connector.resource;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * The ledger of one owner's connections: it counts every connection opened, by role, and those
 * still open; what it hands out is a copy, and counting from many threads at once loses nothing (a
 * reader's split threads and its metric reporter use one ledger).
 */
class ConnectionLedgerTest {

    private final ConnectionLedger ledger = new ConnectionLedger("reader 0");

    @Test
    void countsOpenedConnectionsByRoleAndThoseStillOpen() {
        ledger.recordOpened("snapshot-0");
        ledger.recordOpened("snapshot-0");
        ledger.recordOpened("stream-0");
        ledger.recordClosed();

        assertThat(ledger.opened()).as("opened since the owner started").isEqualTo(3);
        assertThat(ledger.open()).as("open now").isEqualTo(2);
        assertThat(ledger.openedByRole())
                .containsExactly(entry("snapshot-0", 2L), entry("stream-0", 1L));
    }

    @Test
    void aClosedConnectionStaysCountedAsOpenedOnce() {
        ledger.recordOpened("enumerator");
        ledger.recordClosed();

        assertThat(ledger.open()).isZero();
        assertThat(ledger.opened()).isEqualTo(1);
        assertThat(ledger.openedByRole()).containsExactly(entry("enumerator", 1L));
    }

    @Test
    void theCountsByRoleAreACopyInRoleOrder() {
        ledger.recordOpened("stream-0");
        ledger.recordOpened("backfill-0");
        Map<String, Long> before = ledger.openedByRole();

        before.put("stream-0", 42L);
        ledger.recordOpened("snapshot-0");

        assertThat(before).as("the copy taken before").doesNotContainKey("snapshot-0");
        assertThat(ledger.openedByRole())
                .as("sorted by role, unchanged by a change to a copy")
                .containsExactly(
                        entry("backfill-0", 1L), entry("snapshot-0", 1L), entry("stream-0", 1L));
    }

    @Test
    void countsFromManyThreadsAtOnceAddUp() throws Exception {
        int threads = 8;
        int perThread = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String role = "role-" + (t % 2);
                done.add(
                        pool.submit(
                                () -> {
                                    start.await();
                                    for (int i = 0; i < perThread; i++) {
                                        ledger.recordOpened(role);
                                        if (i % 2 == 0) {
                                            ledger.recordClosed();
                                        }
                                    }
                                    return null;
                                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(ledger.opened()).isEqualTo((long) threads * perThread);
        assertThat(ledger.open()).isEqualTo(threads * perThread / 2);
        assertThat(ledger.openedByRole())
                .containsExactly(
                        entry("role-0", (long) threads / 2 * perThread),
                        entry("role-1", (long) threads / 2 * perThread));
    }

    @Test
    void itsTextNamesTheOwnerAndEveryCount() {
        ledger.recordOpened("snapshot-0");
        ledger.recordOpened("stream-0");
        ledger.recordClosed();

        assertThat(ledger)
                .hasToString(
                        "reader 0 connections: opened=2 open=1 by role {snapshot-0=1, stream-0=1}");
    }
}
