package io.pgcdc.connector.types;

import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.common.source.FlinkSourceProvider;

import io.pgcdc.connector.testbed.PipelineJob;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One table with every mapped type: the declared schema, then snapshot and streamed values. */
@Tag("core")
@ExtendWith(PostgresExtension.class)
class TypeMappingITCase {

    private static final String COLUMNS =
            "id INT PRIMARY KEY, b BOOL, i2 INT2, i4 INT4 NOT NULL, i8 INT8, f4 FLOAT4, f8 FLOAT8,"
                + " n NUMERIC(12,4), nu NUMERIC, vc VARCHAR(20), ch CHAR(5), t TEXT, by BYTEA, d"
                + " DATE, tm TIME(3), tm6 TIME, ts TIMESTAMP(3), ts6 TIMESTAMP, tstz TIMESTAMPTZ, u"
                + " UUID, js JSON, jb JSONB, m mood, ai INT4[], at TEXT[]";

    private static final String ROW =
            "true, 32767, 2147483647, -9223372036854775808, 1.5, 2.25, 12345678.1234,"
                + " 3.14159265358979, 'varchar', 'ab', 'text ünïcode', '\\xdeadbeef', '2024-02-29',"
                + " '13:14:15.123', '23:59:59.999999', '2024-02-29 13:14:15.123', '1999-12-31"
                + " 23:59:59.654321', '2024-02-29 13:14:15.5+02',"
                + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}', '{\"k\": [1, 2]}',"
                + " 'happy', '{1,NULL,3}', '{\"x\",\"y z\"}'";

    private static final String EXPECTED_VALUES =
            "true, 32767, 2147483647, -9223372036854775808, 1.5, 2.25, 12345678.1234,"
                + " 3.141592653589790000, varchar, ab   , text ünïcode, \\xdeadbeef, 2024-02-29,"
                    // Flink CDC's TimeData holds milliseconds: TIME(6) keeps .999 of .999999
                    + " 13:14:15.123, 23:59:59.999, 2024-02-29T13:14:15.123,"
                    + " 1999-12-31T23:59:59.654321, 2024-02-29T11:14:15.500,"
                    + " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, {\"k\": 1}, {\"k\": [1, 2]}, happy,"
                    + " [1, null, 3], [x, y z]]";

    /**
     * Schema changes on: a Relation message that describes a type differently than the catalog
     * would show.
     */
    private static Map<String, String> withSchemaChanges(Map<String, String> options) {
        options.put("schema-change.enabled", "true");
        return options;
    }

    @Test
    void everyMappedTypeRoundTrips(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TABLE all_types (" + COLUMNS + ")",
                "ALTER TABLE all_types REPLICA IDENTITY FULL",
                "INSERT INTO all_types VALUES (1, " + ROW + ")",
                "INSERT INTO all_types (id, i4) VALUES (2, 0)");
        DataSource source =
                SourceConfigs.create(
                        withSchemaChanges(
                                SourceConfigs.connection(db, db.name() + ".public.all_types")));

        assertThat(
                        source.getMetadataAccessor()
                                .getTableSchema(TableId.tableId("public", "all_types"))
                                .toString())
                .isEqualTo(
                        "columns={`id` INT NOT NULL,`b` BOOLEAN,`i2` SMALLINT,`i4` INT NOT"
                            + " NULL,`i8` BIGINT,`f4` FLOAT,`f8` DOUBLE,`n` DECIMAL(12, 4),`nu`"
                            + " DECIMAL(38, 18),`vc` VARCHAR(20),`ch` CHAR(5),`t` STRING,`by`"
                            + " BYTES,`d` DATE,`tm` TIME(3),`tm6` TIME(6),`ts` TIMESTAMP(3),`ts6`"
                            + " TIMESTAMP(6),`tstz` TIMESTAMP_LTZ(6),`u` STRING,`js` STRING,`jb`"
                            + " STRING,`m` STRING,`ai` ARRAY<INT>,`at` ARRAY<STRING>},"
                            + " primaryKeys=id, options=()");

        try (PipelineJob job =
                PipelineJob.start(
                        ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 1)) {
            job.await("snapshot", Duration.ofSeconds(120), log -> log.dataCount() >= 2);
            assertThat(job.log().dataLines())
                    .containsExactlyInAnyOrder(
                            "+I public.all_types[1, " + EXPECTED_VALUES,
                            "+I public.all_types[2, null, null, 0, null, null, null, null, null,"
                                    + " null, null, null, null, null, null, null, null, null, null,"
                                    + " null, null, null, null, null, null]");
            assertThat(job.log().lines().get(0))
                    .isEqualTo(
                            "CREATE public.all_types "
                                    + source.getMetadataAccessor()
                                            .getTableSchema(
                                                    TableId.tableId("public", "all_types")));

            db.execute(
                    "INSERT INTO all_types VALUES (3, " + ROW + ")",
                    "DELETE FROM all_types WHERE id = 2");
            job.await("streamed rows", Duration.ofSeconds(120), log -> log.dataCount() >= 4);
            List<String> lines = job.log().dataLines();
            assertThat(job.log().schemaChanges())
                    .as("the stream describes every type as the catalog did")
                    .isEmpty();
            assertThat(lines.subList(2, 4))
                    .containsExactly(
                            "+I public.all_types[3, " + EXPECTED_VALUES,
                            "-D public.all_types[2, null, null, 0, null, null, null, null, null,"
                                    + " null, null, null, null, null, null, null, null, null, null,"
                                    + " null, null, null, null, null, null]");
        }
    }

    private static final String MORE_COLUMNS =
            "id INT PRIMARY KEY, mo MONEY, b1 BIT(1), b8 BIT(8), vb VARBIT(16), iv INTERVAL, hs"
                + " HSTORE, ip INET, cr CIDR, mac MACADDR, mac8 MACADDR8, x XML, r4 INT4RANGE, r8"
                + " INT8RANGE, rn NUMRANGE, rts TSRANGE, rtz TSTZRANGE, rd DATERANGE, pt POINT, lt"
                + " LTREE, ci CITEXT, ttz TIMETZ, au UUID[], aj JSONB[], an NUMERIC(5,2)[], ad"
                + " DATE[], ats TIMESTAMPTZ[], ab BOOL[], ai8 INT8[], aci CITEXT[], ainet INET[]";

    private static final String MORE_ROW =
            "12.34, B'1', B'10100101', B'101', '1 year 2 months 3 days 04:05:06.789', 'a=>1,"
                + " b=>NULL', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',"
                + " '08:00:2b:01:02:03:04:05', '<a>x</a>', '[1,10)', '[5,7]', '(1.5,2.5]',"
                + " '[2024-01-01 10:00,2024-01-02 10:00)', '[2024-01-01 10:00+00,2024-01-02"
                + " 10:00+00)', '[2024-01-01,2024-02-01)', '(1.5,-2)', 'top.mid.leaf', 'MiXeD',"
                + " '10:15:30.5+02',  ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL],"
                + " ARRAY['{\"k\": 1}'::jsonb], '{1.5,NULL,-2.25}', '{2024-02-29,NULL}',"
                + " ARRAY['2024-02-29 13:14:15.5+02'::timestamptz], '{t,f,NULL}',"
                + " '{9223372036854775807}', '{Ab,cD}', '{10.1.2.3,::1}'";

    @Test
    void moreTypesRoundTripInSnapshotAndStream(TestDatabase db) throws Exception {
        db.execute(
                "CREATE EXTENSION hstore",
                "CREATE EXTENSION ltree",
                "CREATE EXTENSION citext",
                "CREATE TABLE more_types (" + MORE_COLUMNS + ")",
                "ALTER TABLE more_types REPLICA IDENTITY FULL",
                "INSERT INTO more_types VALUES (1, " + MORE_ROW + ")");
        DataSource source =
                SourceConfigs.create(
                        withSchemaChanges(
                                SourceConfigs.connection(db, db.name() + ".public.more_types")));
        String schema =
                source.getMetadataAccessor()
                        .getTableSchema(TableId.tableId("public", "more_types"))
                        .toString();
        try (PipelineJob job =
                PipelineJob.start(
                        ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 1)) {
            job.await("snapshot", Duration.ofSeconds(120), log -> log.dataCount() >= 1);
            db.execute("INSERT INTO more_types VALUES (2, " + MORE_ROW + ")");
            job.await("streamed row", Duration.ofSeconds(120), log -> log.dataCount() >= 2);
            List<String> lines = job.log().dataLines();
            assertThat(lines.get(1))
                    .as("streamed values equal snapshot values")
                    .isEqualTo(lines.get(0).replace("more_types[1,", "more_types[2,"));
            assertThat(job.log().schemaChanges())
                    .as("the stream describes every type as the catalog did")
                    .isEmpty();
            assertThat(schema).isEqualTo(MORE_SCHEMA);
            assertThat(lines.get(0)).isEqualTo("+I public.more_types[1, " + MORE_VALUES);
        }
    }

    private static final String MORE_SCHEMA =
            "columns={`id` INT NOT NULL,`mo` DECIMAL(38, 2),`b1` BOOLEAN,`b8` BYTES,`vb` BYTES,`iv`"
                + " BIGINT,`hs` STRING,`ip` STRING,`cr` STRING,`mac` STRING,`mac8` STRING,`x`"
                + " STRING,`r4` STRING,`r8` STRING,`rn` STRING,`rts` STRING,`rtz` STRING,`rd`"
                + " STRING,`pt` STRING,`lt` STRING,`ci` STRING,`ttz` STRING,`au` ARRAY<STRING>,`aj`"
                + " ARRAY<STRING>,`an` ARRAY<DECIMAL(38, 18)>,`ad` ARRAY<DATE>,`ats`"
                + " ARRAY<STRING>,`ab` ARRAY<BOOLEAN>,`ai8` ARRAY<BIGINT>,`aci`"
                + " ARRAY<STRING>,`ainet` ARRAY<STRING>}, primaryKeys=id, options=()";

    /**
     * Interval in microseconds as Debezium counts them (a month is 30.4375 days); DATE elements as
     * epoch days.
     */
    private static final String MORE_VALUES =
            "12.34, true, \\xa5, \\x05, 37091106789000, {\"a\":\"1\",\"b\":null}, 192.168.0.1/24,"
                + " 10.0.0.0/8, 08:00:2b:01:02:03, 08:00:2b:01:02:03:04:05, <a>x</a>, [1,10),"
                + " [5,8), (1.5,2.5], [\"2024-01-01 10:00:00\",\"2024-01-02 10:00:00\"),"
                + " [\"2024-01-01 10:00:00+00\",\"2024-01-02 10:00:00+00\"),"
                + " [2024-01-01,2024-02-01),"
                + " {\"coordinates\":\"[[1.5,-2.0]]\",\"type\":\"Point\",\"srid\":0}, top.mid.leaf,"
                + " MiXeD, 08:15:30.5Z, [a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, null], [{\"k\": 1}],"
                + " [1.500000000000000000, null, -2.250000000000000000], [19782, null],"
                + " [2024-02-29T11:14:15.5Z], [true, false, null], [9223372036854775807], [Ab, cD],"
                + " [10.1.2.3, ::1]]";

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "decimal=double interval=string hstore=map binary=base64 time=connect|columns={`id`"
                        + " INT NOT NULL,`n` DOUBLE,`nu` DOUBLE,`mo` DOUBLE,`iv` STRING,`hs`"
                        + " MAP<STRING, STRING>,`by` STRING,`tm` TIME(6),`ts` TIMESTAMP(6)},"
                        + " primaryKeys=id, options=()"
                        // connect mode: milliseconds
                        + "|1234.567, 0.1, 99.99, P0Y0M1DT2H3M4.5S, {k=v}, yv4=, 01:02:03.456,"
                        + " 2024-01-02T03:04:05.678",
                "decimal=string binary=hex money=3 time=adaptive_time_microseconds|columns={`id`"
                        + " INT NOT NULL,`n` STRING,`nu` STRING,`mo` STRING,`iv` BIGINT,`hs`"
                        + " STRING,`by` STRING,`tm` TIME(6),`ts` TIMESTAMP(6)}, primaryKeys=id,"
                        + " options=()"
                        // Flink CDC's TIME keeps milliseconds
                        + "|1234.567, 0.1, 99.99, 93784500000, {\"k\":\"v\"}, cafe, 01:02:03.456,"
                        + " 2024-01-02T03:04:05.678901"
            })
    void debeziumModesChangeTypesAlike(
            String modes, String expectedSchema, String expectedValues, TestDatabase db)
            throws Exception {
        db.execute(
                "CREATE EXTENSION hstore",
                "CREATE TABLE modes (id INT PRIMARY KEY, n NUMERIC(10,3), nu NUMERIC, mo MONEY, iv"
                        + " INTERVAL, hs HSTORE, by BYTEA, tm TIME(6), ts TIMESTAMP(6))",
                "ALTER TABLE modes REPLICA IDENTITY FULL",
                "INSERT INTO modes VALUES (1, 1234.567, 0.1, 99.99, '1 day 02:03:04.5', 'k=>v',"
                        + " '\\xcafe', '01:02:03.456789', '2024-01-02 03:04:05.678901')");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.modes");
        for (String mode : modes.split(" ")) {
            String[] kv = mode.split("=");
            String key =
                    kv[0].equals("time")
                            ? "time.precision.mode"
                            : kv[0].equals("money")
                                    ? "money.fraction.digits"
                                    : kv[0] + ".handling.mode";
            options.put("debezium." + key, kv[1]);
        }
        DataSource source = SourceConfigs.create(withSchemaChanges(options));
        String schema =
                source.getMetadataAccessor()
                        .getTableSchema(TableId.tableId("public", "modes"))
                        .toString();
        try (PipelineJob job =
                PipelineJob.start(
                        ((FlinkSourceProvider) source.getEventSourceProvider()).getSource(), 1)) {
            job.await("snapshot", Duration.ofSeconds(120), log -> log.dataCount() >= 1);
            db.execute(
                    "INSERT INTO modes SELECT 2, n, nu, mo, iv, hs, by, tm, ts FROM modes WHERE id"
                            + " = 1");
            job.await("streamed row", Duration.ofSeconds(120), log -> log.dataCount() >= 2);
            List<String> lines = job.log().dataLines();
            assertThat(lines.get(1))
                    .as("streamed values equal snapshot values")
                    .isEqualTo(lines.get(0).replace("modes[1,", "modes[2,"));
            assertThat(job.log().schemaChanges())
                    .as("the stream describes every type as the catalog did")
                    .isEmpty();
            assertThat(schema).isEqualTo(expectedSchema);
            assertThat(lines.get(0)).isEqualTo("+I public.modes[1, " + expectedValues + "]");
        }
    }

    @Test
    void unsupportedTypeFailsNamingTableColumnAndType(TestDatabase db) throws Exception {
        db.execute(
                "CREATE TABLE shapes (id INT PRIMARY KEY, p BOX)",
                "INSERT INTO shapes VALUES (1, '((1,2),(3,4))')");
        DataSource source =
                SourceConfigs.create(SourceConfigs.connection(db, db.name() + ".public.shapes"));
        Throwable failure = null;
        try (PipelineJob job =
                PipelineJob.start(
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
        assertThat(root)
                .isInstanceOf(UnsupportedColumnTypeException.class)
                .hasMessageContaining("'p'")
                .hasMessageContaining("public.shapes")
                .hasMessageContaining("'box'");
    }
}
