package io.pgcdc.connector.source;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * An update that does not touch a TOASTed column: the stream never carries Debezium's placeholder
 * as data. With REPLICA IDENTITY FULL the value comes from the before image; otherwise the job
 * fails naming the fix, or emits NULL when asked to.
 */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class ToastITCase {

    /** ~100 KB of hex text: stored out of line (TOASTed). */
    private static final String BIG =
            "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3000) i)";

    /** An update of the row that leaves its TOASTed column {@code doc} as it is. */
    private static final String UPDATE_BESIDE_DOC = "UPDATE docs SET n = n + 1 WHERE id = 1";

    @Test
    void replicaIdentityFullGivesTheUnchangedValue(TestDatabase db) throws Exception {
        create(db, true);
        String big = db.query("SELECT doc FROM docs WHERE id = 1").get(0).get(0);
        try (PipelineJob job = PipelineJob.start(source(db, "fail"), 1)) {
            job.awaitStreaming(db);
            db.execute(UPDATE_BESIDE_DOC);
            String after = awaitTheUpdate(job);
            assertThat(after)
                    .isEqualTo("+U public.docs[1, 2, " + big + "]")
                    .doesNotContain("__debezium_unavailable_value");
        }
    }

    @Test
    void withoutFullIdentityTheJobFailsNamingTheFix(TestDatabase db) throws Exception {
        create(db, false);
        Throwable failure;
        try (PipelineJob job = PipelineJob.start(source(db, "fail"), 1)) {
            job.awaitStreaming(db);
            db.execute(UPDATE_BESIDE_DOC);
            failure = catchThrowable(() -> job.awaitFinished(Duration.ofMinutes(1)));
            assertThat(job.log().dataLines())
                    .noneMatch(l -> l.contains("__debezium_unavailable_value"));
        }
        Throwable root = failure;
        while (root != null
                && !(root instanceof IllegalStateException
                        && root.getMessage().contains("TOAST"))) {
            root = root.getCause();
        }
        assertThat(root).as("the failure names table, column and fix").isNotNull();
        assertThat(root.getMessage())
                .contains(
                        "public.docs",
                        "'doc'",
                        "REPLICA IDENTITY FULL",
                        "'toast.unchanged-value.mode'");
    }

    @Test
    void nullModeEmitsNullNotThePlaceholder(TestDatabase db) throws Exception {
        create(db, false);
        try (PipelineJob job = PipelineJob.start(source(db, "null"), 1)) {
            job.awaitStreaming(db);
            db.execute(UPDATE_BESIDE_DOC);
            awaitTheUpdate(job);
            assertThat(job.log().dataLines()).contains("+U public.docs[1, 2, null]");
        }
    }

    private static void create(TestDatabase db, boolean fullIdentity) {
        db.execute(
                "CREATE TABLE docs (id INT PRIMARY KEY, n INT, doc TEXT)",
                "INSERT INTO docs VALUES (1, 1, " + BIG + ")");
        if (fullIdentity) {
            db.execute("ALTER TABLE docs REPLICA IDENTITY FULL");
        }
        assertThat(
                        db.queryLong(
                                "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname"
                                        + " = 'docs'"))
                .as("the value is stored out of line")
                .isGreaterThan(0);
    }

    /** Waits for the update's after image (+U) and returns its line. */
    private static String awaitTheUpdate(PipelineJob job) {
        job.await(
                "the update",
                Duration.ofMinutes(1),
                log -> log.dataLines().stream().anyMatch(l -> l.startsWith("+U")));
        return job.log().dataLines().stream().filter(l -> l.startsWith("+U")).findFirst().get();
    }

    private static PostgresPipelineSource source(TestDatabase db, String mode) {
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.docs");
        options.put("toast.unchanged-value.mode", mode);
        return ((PostgresDataSource) SourceConfigs.create(options)).createSource();
    }
}
