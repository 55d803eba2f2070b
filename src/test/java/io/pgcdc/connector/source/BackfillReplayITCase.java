package io.pgcdc.connector.source;

import org.apache.flink.cdc.connectors.base.source.meta.split.SnapshotSplit;
import org.apache.flink.cdc.connectors.base.source.utils.hooks.SnapshotPhaseHooks;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backfill skips its replication connection only when the split's table did not change between
 * the low and high watermark. Here rows change after their split was read and before its high
 * watermark: the backfill must find and replay those changes, so the snapshot shows the new values
 * exactly once and the stream does not repeat them.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class BackfillReplayITCase {

    @Test
    void changesBeforeTheHighWatermarkAreReplayed(TestDatabase db) throws Exception {
        SnapshotTable table = SnapshotTable.create(db, 20);
        PostgresPipelineSource source = table.source(true).createSource();
        SnapshotPhaseHooks hooks = new SnapshotPhaseHooks();
        String url = db.server().jdbcUrl(db.name());
        String user = db.server().user();
        String password = db.server().password();
        // after the split's rows were read, before its high watermark: change its first row
        hooks.setPreHighWatermarkAction(
                (config, split) -> {
                    Object[] start = ((SnapshotSplit) split).getSplitStart();
                    int first = start == null ? 1 : ((Number) start[0]).intValue();
                    if (first <= 100) {
                        Properties props = new Properties();
                        props.setProperty("user", user);
                        props.setProperty("password", password);
                        props.setProperty("ApplicationName", "test-harness");
                        try (Connection c = DriverManager.getConnection(url, props);
                                Statement s = c.createStatement()) {
                            // flushed at commit (the test server runs with synchronous_commit=off),
                            // so
                            // the commit lies before the high watermark, as on a default server
                            s.execute("SET synchronous_commit = on");
                            s.execute("UPDATE items SET note = 'changed' WHERE id = " + first);
                        }
                    }
                });
        source.setSnapshotHooks(hooks);

        try (PipelineJob job = PipelineJob.start(source, 2)) {
            table.awaitSnapshot(job);
            List<String> changed =
                    job.log().dataLines().stream()
                            .filter(l -> l.contains("changed"))
                            .collect(Collectors.toList());
            long changedRows = db.queryLong("SELECT count(*) FROM items WHERE note = 'changed'");
            assertThat(changedRows)
                    .as("rows the hook changed (first rows of splits starting at id <= 100)")
                    .isGreaterThanOrEqualTo(5);
            assertThat(changed)
                    .as(
                            "rows changed during their split's snapshot arrive once, new value,"
                                    + " through the backfill")
                    .hasSize((int) changedRows)
                    .allMatch(line -> line.startsWith("+I public.items["));
            assertThat(job.log().dataLines()).as("each row once").hasSize(table.rows);
            assertThat(job.log().dataLines())
                    .contains("+I public.items[2, n2]", "+I public.items[400, n400]");

            // streamed update of a table without REPLICA IDENTITY FULL: the key stands for the
            // before image
            db.execute("UPDATE items SET note = 'streamed' WHERE id = 2");
            job.await(
                    "the streamed update",
                    Duration.ofMinutes(1),
                    log -> log.dataLines().contains("+U public.items[2, streamed]"));
            assertThat(job.log().dataLines()).contains("-U public.items[2, null]");
            table.cancelAndAssertNothingLeft(job);
        }
    }
}
