package io.pgcdc.connector.types;

import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.common.source.FlinkSourceProvider;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One table with every mapped type: the declared schema, then snapshot and streamed values. */
@ExtendWith(PostgresExtension.class)
class TypeMappingTest {

    private static final String COLUMNS =
            "id INT PRIMARY KEY, b BOOL, i2 INT2, i4 INT4 NOT NULL, i8 INT8, f4 FLOAT4, f8 FLOAT8,"
                    + " n NUMERIC(12,4), nu NUMERIC, vc VARCHAR(20), ch CHAR(5), t TEXT, by BYTEA,"
                    + " d DATE, tm TIME(3), tm6 TIME, ts TIMESTAMP(3), ts6 TIMESTAMP, tstz TIMESTAMPTZ,"
                    + " u UUID, js JSON, jb JSONB, m mood, ai INT4[], at TEXT[]";

    private static final String ROW =
            "true, 32767, 2147483647, -9223372036854775808, 1.5, 2.25,"
                    + " 12345678.1234, 3.14159265358979, 'varchar', 'ab', 'text ünïcode', '\\xdeadbeef',"
                    + " '2024-02-29', '13:14:15.123', '23:59:59.999999', '2024-02-29 13:14:15.123',"
                    + " '1999-12-31 23:59:59.654321', '2024-02-29 13:14:15.5+02',"
                    + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}', '{\"k\": [1, 2]}', 'happy',"
                    + " '{1,NULL,3}', '{\"x\",\"y z\"}'";

    private static final String EXPECTED_VALUES =
            "true, 32767, 2147483647, -9223372036854775808, 1.5, 2.25, 12345678.1234,"
                    + " 3.141592653589790000, varchar, ab   , text ünïcode, \\xdeadbeef, 2024-02-29,"
                    // Flink CDC's TimeData holds milliseconds: TIME(6) keeps .999 of .999999
                    + " 13:14:15.123, 23:59:59.999, 2024-02-29T13:14:15.123, 1999-12-31T23:59:59.654321,"
                    + " 2024-02-29T11:14:15.500, a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, {\"k\": 1},"
                    + " {\"k\": [1, 2]}, happy, [1, null, 3], [x, y z]]";

    @Test
    void everyMappedTypeRoundTrips(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TABLE all_types (" + COLUMNS + ")",
                "ALTER TABLE all_types REPLICA IDENTITY FULL",
                "INSERT INTO all_types VALUES (1, " + ROW + ")",
                "INSERT INTO all_types (id, i4) VALUES (2, 0)");
        DataSource source = SourceConfigs.create(SourceConfigs.connection(db, db.name() + ".public.all_types"));

        assertThat(source.getMetadataAccessor().getTableSchema(TableId.tableId("public", "all_types")).toString())
                .isEqualTo("columns={`id` INT NOT NULL,`b` BOOLEAN,`i2` SMALLINT,`i4` INT NOT NULL,`i8` BIGINT,"
                        + "`f4` FLOAT,`f8` DOUBLE,`n` DECIMAL(12, 4),`nu` DECIMAL(38, 18),`vc` VARCHAR(20),"
                        + "`ch` CHAR(5),`t` STRING,`by` BYTES,`d` DATE,`tm` TIME(3),`tm6` TIME(6),"
                        + "`ts` TIMESTAMP(3),`ts6` TIMESTAMP(6),`tstz` TIMESTAMP_LTZ(6),`u` STRING,`js` STRING,"
                        + "`jb` STRING,`m` STRING,`ai` ARRAY<INT>,`at` ARRAY<STRING>}, primaryKeys=id, options=()");

        try (PipelineJob job = PipelineJob.start(
                ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 1)) {
            job.await("snapshot", Duration.ofSeconds(120), log -> log.dataCount() >= 2);
            assertThat(job.log().dataLines()).containsExactlyInAnyOrder(
                    "+I public.all_types[1, " + EXPECTED_VALUES,
                    "+I public.all_types[2, null, null, 0, null, null, null, null, null, null, null, null,"
                            + " null, null, null, null, null, null, null, null, null, null, null, null, null]");
            assertThat(job.log().lines().get(0)).isEqualTo("CREATE public.all_types "
                    + source.getMetadataAccessor().getTableSchema(TableId.tableId("public", "all_types")));

            db.execute("INSERT INTO all_types VALUES (3, " + ROW + ")", "DELETE FROM all_types WHERE id = 2");
            job.await("streamed rows", Duration.ofSeconds(120), log -> log.dataCount() >= 4);
            List<String> lines = job.log().dataLines();
            assertThat(lines.subList(2, 4)).containsExactly(
                    "+I public.all_types[3, " + EXPECTED_VALUES,
                    "-D public.all_types[2, null, null, 0, null, null, null, null, null, null, null, null,"
                            + " null, null, null, null, null, null, null, null, null, null, null, null, null]");
        }
    }

    @Test
    void unsupportedTypeFailsNamingTableColumnAndType(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE shapes (id INT PRIMARY KEY, p POINT)", "INSERT INTO shapes VALUES (1, '(1,2)')");
        DataSource source = SourceConfigs.create(SourceConfigs.connection(db, db.name() + ".public.shapes"));
        Throwable failure = null;
        try (PipelineJob job = PipelineJob.start(
                ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 1)) {
            job.awaitFinished(Duration.ofSeconds(120));
        } catch (Exception e) {
            failure = e;
        }
        assertThat(failure).isNotNull();
        Throwable root = failure;
        while (root.getCause() != null && !(root instanceof UnsupportedColumnTypeException)) {
            root = root.getCause();
        }
        assertThat(root).isInstanceOf(UnsupportedColumnTypeException.class)
                .hasMessageContaining("'p'").hasMessageContaining("public.shapes").hasMessageContaining("'point'");
    }
}
