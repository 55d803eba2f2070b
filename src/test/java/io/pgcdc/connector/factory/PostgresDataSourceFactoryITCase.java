package io.pgcdc.connector.factory;

import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.table.api.ValidationException;

import io.pgcdc.connector.source.PostgresDataSource;
import io.pgcdc.connector.testbed.LogCapture;
import io.pgcdc.connector.testbed.NothingLeft;
import io.pgcdc.connector.testbed.PostgresExtension;
import io.pgcdc.connector.testbed.SourceConfigs;
import io.pgcdc.connector.testbed.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Creating the source through SPI: good options work, bad ones fail clearly and leave nothing open.
 */
@ExtendWith(PostgresExtension.class)
class PostgresDataSourceFactoryITCase {

    private static final String PASSWORD = "s3cret-Passw0rd";

    private static final class BadInput {
        final String name;
        final Consumer<Map<String, String>> change;
        final String[] expectedInMessage;

        BadInput(String name, Consumer<Map<String, String>> change, String... expectedInMessage) {
            this.name = name;
            this.change = change;
            this.expectedInMessage = expectedInMessage;
        }
    }

    private static List<BadInput> badInputs(TestDatabase db) {
        String d = db.name();
        return Arrays.asList(
                new BadInput(
                        "unknown option",
                        o -> o.put("scan.startup.modes", "initial"),
                        "'scan.startup.modes'",
                        "not an option"),
                new BadInput(
                        "missing hostname", o -> o.remove("hostname"), "'hostname'", "required"),
                new BadInput(
                        "missing password", o -> o.remove("password"), "'password'", "required"),
                new BadInput("missing slot", o -> o.remove("slot.name"), "'slot.name'", "required"),
                new BadInput("missing tables", o -> o.remove("tables"), "'tables'", "required"),
                new BadInput("tables empty", o -> o.put("tables", " "), "'tables'"),
                new BadInput(
                        "tables without db and schema",
                        o -> o.put("tables", "orders"),
                        "'tables'",
                        "database.schema.table"),
                new BadInput(
                        "tables with empty entry",
                        o -> o.put("tables", d + ".public.orders,,"),
                        "'tables'",
                        "empty entry"),
                new BadInput(
                        "tables bad regex",
                        o -> o.put("tables", d + ".public.ord[ers"),
                        "'tables'",
                        "regular expression"),
                new BadInput(
                        "tables matching nothing",
                        o -> o.put("tables", d + ".public.nothing_\\.*"),
                        "'tables'",
                        "matches no table"),
                new BadInput(
                        "table name with a leading quote",
                        o -> o.put("tables", d + ".public.\"x"),
                        "'tables'",
                        "\"public\".\"\"\"x\"",
                        "cannot carry"),
                new BadInput(
                        "table name with two single quotes",
                        o -> o.put("tables", d + ".public.it''s"),
                        "'tables'",
                        "\"public\".\"it''s\"",
                        "cannot carry"),
                new BadInput(
                        "table name read like another",
                        o -> o.put("tables", d + ".a\\.b.c"),
                        "'tables'",
                        "\"a.b\".\"c\"",
                        "\"a\".\"b.c\"",
                        "cannot tell"),
                new BadInput(
                        "tables spanning two databases",
                        o -> o.put("tables", d + ".public.orders, other.public.orders"),
                        "'tables'",
                        "two databases"),
                new BadInput(
                        "exclude removes all",
                        o -> o.put("tables.exclude", d + ".public.orders"),
                        "'tables.exclude'"),
                new BadInput(
                        "database missing",
                        o -> o.put("tables", "no_such_db.public.orders"),
                        "no_such_db",
                        "does not exist"),
                new BadInput("port closed", o -> o.put("port", "1"), "'hostname'", "'port'"),
                new BadInput(
                        "host unknown",
                        o -> o.put("hostname", "no-such-host.invalid"),
                        "'hostname'"),
                new BadInput("port not a number", o -> o.put("port", "54x"), "'port'", "integer"),
                new BadInput("port out of range", o -> o.put("port", "70000"), "'port'"),
                new BadInput(
                        "startup mode unknown",
                        o -> o.put("scan.startup.mode", "earliest"),
                        "'scan.startup.mode'",
                        "initial"),
                new BadInput(
                        "chunk size zero",
                        o -> o.put("scan.incremental.snapshot.chunk.size", "0"),
                        "'scan.incremental.snapshot.chunk.size'",
                        "positive"),
                new BadInput(
                        "fetch size negative",
                        o -> o.put("scan.snapshot.fetch.size", "-5"),
                        "'scan.snapshot.fetch.size'",
                        "positive"),
                new BadInput(
                        "pool size zero",
                        o -> o.put("connection.pool.size", "0"),
                        "'connection.pool.size'"),
                new BadInput(
                        "negative timeout",
                        o -> o.put("connect.timeout", "-1s"),
                        "'connect.timeout'"),
                new BadInput(
                        "timeout not a duration",
                        o -> o.put("connect.timeout", "soon"),
                        "'connect.timeout'",
                        "duration"),
                new BadInput(
                        "time zone invalid",
                        o -> o.put("server-time-zone", "Mars/Olympus"),
                        "'server-time-zone'"),
                new BadInput(
                        "slot name illegal",
                        o -> o.put("slot.name", "Bad-Slot"),
                        "'slot.name'",
                        "lower case"),
                new BadInput(
                        "slot name too long",
                        o -> o.put("slot.name", "s".repeat(70)),
                        "'slot.name'"),
                new BadInput(
                        "plugin unknown",
                        o -> o.put("decoding.plugin.name", "wal3json"),
                        "'decoding.plugin.name'",
                        "pgoutput"),
                new BadInput(
                        "metadata column unknown",
                        o -> o.put("metadata.list", "op_ts,row_type"),
                        "'metadata.list'",
                        "row_type"),
                new BadInput(
                        "debezium decimal mode unknown",
                        o -> o.put("debezium.decimal.handling.mode", "exact"),
                        "'debezium.decimal.handling.mode'",
                        "precise"),
                new BadInput(
                        "debezium money digits not a number",
                        o -> o.put("debezium.money.fraction.digits", "two"),
                        "'debezium.money.fraction.digits'"),
                new BadInput(
                        "boolean garbage",
                        o -> o.put("scan.incremental.snapshot.backfill.skip", "maybe"),
                        "'scan.incremental.snapshot.backfill.skip'"),
                new BadInput(
                        "factor bounds reversed",
                        o -> {
                            o.put("chunk-key.even-distribution.factor.lower-bound", "10");
                            o.put("chunk-key.even-distribution.factor.upper-bound", "5");
                        },
                        "'chunk-key.even-distribution.factor.lower-bound'"));
    }

    @Test
    void badInputFailsAtCreationNamingTheOptionAndLeavesNothingOpen(TestDatabase db) {
        db.execute(
                "CREATE TABLE orders (id INT PRIMARY KEY)",
                "CREATE TABLE \"\"\"x\" (id INT PRIMARY KEY)",
                "CREATE TABLE \"it''s\" (id INT PRIMARY KEY)",
                "CREATE SCHEMA \"a.b\"",
                "CREATE TABLE \"a.b\".c (id INT PRIMARY KEY)",
                "CREATE SCHEMA a",
                "CREATE TABLE a.\"b.c\" (id INT PRIMARY KEY)");
        List<String> problems = new ArrayList<>();
        List<BadInput> cases = badInputs(db);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
        LogCapture logs = LogCapture.start();
        try {
            org.slf4j.LoggerFactory.getLogger(PostgresDataSourceFactoryITCase.class)
                    .debug("capture works");
            tryEach(cases, db, problems);
        } finally {
            logs.close();
        }
        assertThat(logs.text())
                .as("the logs of every case, down to DEBUG")
                .contains("capture works")
                .doesNotContain(PASSWORD);
        assertThat(problems).isEmpty();
        NothingLeft.noSessions(db);
        assertThat(db.slots()).isEmpty();
    }

    private static void tryEach(List<BadInput> cases, TestDatabase db, List<String> problems) {
        for (BadInput input : cases) {
            Map<String, String> options =
                    SourceConfigs.connection(db, db.name() + ".public.orders");
            options.put("password", PASSWORD);
            input.change.accept(options);
            Throwable thrown = catchThrowable(() -> SourceConfigs.create(options));
            if (!(thrown instanceof ValidationException)) {
                problems.add(input.name + ": expected a ValidationException, got " + thrown);
                continue;
            }
            String message = thrown.getMessage();
            for (String expected : input.expectedInMessage) {
                if (!message.contains(expected)) {
                    problems.add(input.name + ": message lacks " + expected + ": " + message);
                }
            }
            if (message.contains(PASSWORD)) {
                problems.add(input.name + ": message reveals the password: " + message);
            }
            if (!message.startsWith("Option '") && !message.startsWith("Cannot connect")) {
                problems.add(
                        input.name
                                + ": message does not start with the option or the connection: "
                                + message);
            }
        }
    }

    @Test
    void goodOptionsReachPostgresCdcConfiguration(TestDatabase db) {
        db.execute(
                "CREATE TABLE orders (id INT PRIMARY KEY)",
                "CREATE TABLE order_items (id INT PRIMARY KEY)",
                "CREATE TABLE order_archive (id INT PRIMARY KEY)",
                "CREATE TABLE customers (id INT PRIMARY KEY)");
        Map<String, String> options = SourceConfigs.connection(db, db.name() + ".public.order\\.*");
        options.put("tables.exclude", db.name() + ".public.order_archive");
        options.put("scan.snapshot.fetch.size", "777");
        options.put("scan.incremental.snapshot.chunk.size", "123");
        options.put("scan.incremental.snapshot.chunk.key-column", "id");
        options.put("scan.startup.mode", "latest-offset");
        options.put("jdbc.properties.tcpKeepAlive", "true");
        options.put("debezium.poll.interval.ms", "50");
        options.put("server-time-zone", "UTC");

        DataSource source = SourceConfigs.create(options);
        PostgresDataSource postgres = (PostgresDataSource) source;
        assertThat(postgres.capturedTables())
                .extracting(t -> t[0] + "." + t[1])
                .containsExactly("public.order_items", "public.orders");

        PostgresSourceConfig config = postgres.configFactory().create(0);
        assertThat(config.getDbzConnectorConfig().getSnapshotFetchSize()).isEqualTo(777);
        assertThat(config.getSplitSize()).isEqualTo(123);
        assertThat(config.getChunkKeyColumn()).isEqualTo("id");
        assertThat(config.getStartupOptions().startupMode.name()).isEqualTo("LATEST_OFFSET");
        assertThat(config.getDbzProperties().getProperty("database.tcpKeepAlive"))
                .isEqualTo("true");
        assertThat(config.getDbzProperties().getProperty("poll.interval.ms")).isEqualTo("50");
        assertThat(captures(config, "orders")).isTrue();
        assertThat(captures(config, "order_archive")).isFalse();
        assertThat(source.supportedMetadataColumns())
                .extracting(c -> c.getName())
                .containsExactly("op_ts", "table_name", "database_name", "schema_name", "row_kind");
        NothingLeft.noSessions(db);
    }

    @Test
    void metadataAccessorDescribesCapturedTables(TestDatabase db) {
        db.execute(
                "CREATE TABLE orders (id BIGINT PRIMARY KEY, note VARCHAR(10) NOT NULL, price"
                        + " NUMERIC(8,3))");
        DataSource source =
                SourceConfigs.create(SourceConfigs.connection(db, db.name() + ".public.orders"));
        assertThat(source.getMetadataAccessor().listNamespaces()).containsExactly(db.name());
        assertThat(source.getMetadataAccessor().listSchemas(null)).contains("public");
        assertThat(source.getMetadataAccessor().listTables(null, "public"))
                .extracting(Object::toString)
                .containsExactly("public.orders");
        assertThat(
                        source.getMetadataAccessor()
                                .getTableSchema(
                                        org.apache.flink.cdc.common.event.TableId.tableId(
                                                "public", "orders"))
                                .toString())
                .isEqualTo(
                        "columns={`id` BIGINT NOT NULL,`note` VARCHAR(10) NOT NULL,`price`"
                                + " DECIMAL(8, 3)}, primaryKeys=id, options=()");
        assertThatThrownBy(() -> source.getMetadataAccessor().listSchemas("other_db"))
                .hasMessageContaining("other_db");
        NothingLeft.noSessions(db);
    }

    /** Whether the configuration's table filter lets {@code public.<table>} through. */
    private static boolean captures(PostgresSourceConfig config, String table) {
        return config.getTableFilters()
                .dataCollectionFilter()
                .isIncluded(new io.debezium.relational.TableId(null, "public", table));
    }
}
