package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.util.ExceptionUtils;

import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TcpProxy;
import io.pgcdc.connector.testbed.TestDatabase;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The connection options have the effect they promise on every connection the source opens: {@code
 * connect.timeout} bounds connecting and logging in (the validator's, the enumerator's and readers'
 * JDBC connections, the replication connections), {@code connect.max-retries} retries failures that
 * may pass and no other, sessions carry their label from the login on, and options without effect
 * say so once. The misbehaving server is a local proxy ({@link TcpProxy}) that accepts connections
 * and never answers, or drops them.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class ConnectionOptionsITCase {

    /** Far above what a bounded attempt takes (2 s per attempt here), far below "forever". */
    private static final Duration BOUND = Duration.ofSeconds(90);

    @Test
    void connectTimeoutBoundsTheValidatorsLogin(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        try (TcpProxy proxy = new TcpProxy(db.server().host(), db.server().port())) {
            proxy.mode(TcpProxy.Mode.SILENT);
            long start = System.nanoTime();
            Throwable thrown = catchThrowable(() -> SourceConfigs.create(options(db, proxy)));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(thrown)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("'connect.timeout' (2 s)")
                    .hasMessageContaining("2 attempts");
            assertThat(proxy.silenced()).as("attempts, each left unanswered").isEqualTo(2);
            assertThat(took).as("two attempts of 2 s and a pause").isLessThan(BOUND);
        }
    }

    @Test
    void connectTimeoutBoundsTheJobsConnections(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        try (TcpProxy proxy = new TcpProxy(db.server().host(), db.server().port())) {
            PostgresDataSource source =
                    (PostgresDataSource) SourceConfigs.create(options(db, proxy));
            proxy.mode(TcpProxy.Mode.SILENT); // after the job's creation: its own connections hang
            assertThat(jobFailure(source)).contains("'connect.timeout' (2 s)");
            assertThat(proxy.silenced())
                    .as("connections left unanswered")
                    .isGreaterThanOrEqualTo(2);
        }
        NothingLeft.noSessions(db);
    }

    @Test
    void connectTimeoutBoundsTheReplicationConnection(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        try (TcpProxy proxy = new TcpProxy(db.server().host(), db.server().port())) {
            Map<String, String> options = options(db, proxy);
            options.put("scan.startup.mode", "latest-offset");
            PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
            proxy.mode(TcpProxy.Mode.SILENT_FOR_REPLICATION);
            assertThat(jobFailure(source)).contains("timed out");
            assertThat(proxy.silenced())
                    .as("replication connections left unanswered")
                    .isGreaterThanOrEqualTo(1);
        }
        NothingLeft.noSessions(db);
    }

    @Test
    void connectMaxRetriesRetriesFailuresThatMayPassAndNoOther(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        try (TcpProxy proxy = new TcpProxy(db.server().host(), db.server().port())) {
            Map<String, String> options = options(db, proxy);
            options.put("connect.max-retries", "2");

            proxy.dropNext(2); // a server restarting: the connection closes before any answer
            SourceConfigs.create(options);
            assertThat(proxy.accepted())
                    .as("two dropped attempts, then the one that worked")
                    .isEqualTo(3);

            proxy.dropNext(3);
            Throwable thrown = catchThrowable(() -> SourceConfigs.create(options));
            assertThat(thrown)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("3 attempts, 'connect.max-retries' is 2");

            int before = proxy.accepted();
            Map<String, String> noDatabase = new HashMap<>(options);
            noDatabase.put("tables", "no_such_db.public.t");
            thrown = catchThrowable(() -> SourceConfigs.create(noDatabase));
            assertThat(thrown)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("does not exist");
            assertThat(proxy.accepted() - before)
                    .as("a missing database is not retried")
                    .isEqualTo(1);

            PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
            proxy.dropNext(2); // the enumerator's and then the reader's first attempts
            try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
                job.await("the snapshot row", BOUND, log -> log.dataCount() >= 1);
            }
        }
    }

    @Test
    void everySessionIsLabelledFromItsLogin(TestDatabase db) throws Exception {
        assumeTrue(
                !db.server().serverLogLines("connection authorized").isEmpty(),
                "the server log is readable");
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("scan.incremental.snapshot.backfill.skip", "false");
        PostgresDataSource source = (PostgresDataSource) SourceConfigs.create(options);
        source.getMetadataAccessor().getTableSchema(TableId.tableId("public", "t"));
        try (PipelineJob job = PipelineJob.start(source.createSource(), 2)) {
            job.await("the snapshot row", BOUND, log -> log.dataCount() >= 1);
            assertThat(TestDatabase.await(BOUND, () -> db.globalSlotReader() != null))
                    .as("streaming")
                    .isTrue();
            db.execute("INSERT INTO t VALUES (2)");
            job.await("the streamed row", BOUND, log -> log.dataCount() >= 2);
        }
        // an unlabelled login's line ends with the database name
        List<String> logins =
                db.server().serverLogLines("connection authorized").stream()
                        .filter(line -> line.matches(".*database=" + db.name() + "( .*)?"))
                        .collect(Collectors.toList());
        assertThat(logins).as("logins to the test's database").isNotEmpty();
        // Debezium's replication connection reads its slot's state over a short session of its
        // own, labelled by Debezium, closed before it streams
        assertThat(logins)
                .as("each session's label as it logged in")
                .allMatch(
                        line ->
                                line.contains("application_name=pgcdc-")
                                        || line.contains("application_name=test-harness")
                                        || line.contains("application_name=Debezium Slot Info"));
        for (String role : new String[] {"validator", "metadata", "enumerator", "snapshot"}) {
            assertThat(logins)
                    .as("a %s session", role)
                    .anyMatch(line -> line.contains("application_name=pgcdc-" + role));
        }
    }

    @Test
    void optionsWithoutEffectSaySoOnceAtCreation(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE t (id INT PRIMARY KEY)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        try (LogCapture logs = LogCapture.atLeast(Level.WARN)) {
            SourceConfigs.create(options);
            assertThat(logs.text()).doesNotContain("has no effect");
        }
        options.put("connection.pool.size", "5");
        options.put("server-time-zone", "Asia/Shanghai");
        try (LogCapture logs = LogCapture.atLeast(Level.WARN)) {
            SourceConfigs.create(options);
            assertThat(occurrences(logs.text(), "'connection.pool.size' has no effect"))
                    .isEqualTo(1);
            assertThat(occurrences(logs.text(), "'server-time-zone' has no effect")).isEqualTo(1);
        }
    }

    /** Options reaching the database through the proxy; 2 s to connect, one retry. */
    private static Map<String, String> options(TestDatabase db, TcpProxy proxy) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.t");
        options.put("hostname", "127.0.0.1");
        options.put("port", String.valueOf(proxy.port()));
        options.put("connect.timeout", "2s");
        options.put("connect.max-retries", "1");
        // one TCP connection per attempt: by default pgjdbc tries again without TLS, or with GSS
        options.put("jdbc.properties.sslmode", "disable");
        options.put("jdbc.properties.gssEncMode", "disable");
        return options;
    }

    /** Runs the source until its job fails, within BOUND: the failure and its causes, as text. */
    private static String jobFailure(PostgresDataSource source) throws Exception {
        try (PipelineJob job = PipelineJob.start(source.createSource(), 1)) {
            return ExceptionUtils.stringifyException(job.awaitFailure(BOUND));
        }
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            count++;
        }
        return count;
    }
}
