package io.pgcdc.connector.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.source.MetadataAccessor;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;
import org.apache.flink.cdc.connectors.postgres.source.utils.CustomPostgresSchema;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.relational.history.TableChanges.TableChange;
import io.pgcdc.connector.config.PostgresSourceSettings;
import io.pgcdc.connector.config.SystemSchemas;
import io.pgcdc.connector.fetch.TrackedPostgresConnection;
import io.pgcdc.connector.resource.ConnectionLedger;

import javax.annotation.Nullable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Answers metadata questions about the captured database. Every call opens one labelled connection
 * and closes it before returning.
 */
@Internal
public class PostgresMetadataAccessor implements MetadataAccessor {

    static final String ROLE = "metadata";

    private final PostgresSourceSettings settings;
    private final PostgresSourceConfigFactory configFactory;
    private final PostgresEventDeserializer deserializer;

    /** Resolves {@code tables} against the catalog now, as {schema, table} pairs. */
    private final Supplier<List<String[]>> capturedTables;

    public PostgresMetadataAccessor(
            PostgresSourceSettings settings,
            PostgresSourceConfigFactory configFactory,
            PostgresEventDeserializer deserializer,
            Supplier<List<String[]>> capturedTables) {
        this.settings = settings;
        this.configFactory = configFactory;
        this.deserializer = deserializer;
        this.capturedTables = capturedTables;
    }

    @Override
    public List<String> listNamespaces() {
        return Collections.singletonList(settings.database());
    }

    @Override
    public List<String> listSchemas(@Nullable String namespace) {
        checkNamespace(namespace);
        List<String> schemas = new ArrayList<>();
        try (Connection jdbc = settings.connection.open(ROLE);
                PreparedStatement statement =
                        jdbc.prepareStatement(
                                "SELECT nspname FROM pg_catalog.pg_namespace WHERE "
                                        + SystemSchemas.excludedFrom("nspname")
                                        + " ORDER BY 1");
                ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
                schemas.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new FlinkRuntimeException(settings.connection.redact(e.getMessage()), e);
        }
        return schemas;
    }

    /** The captured tables, optionally only those of one schema. */
    @Override
    public List<TableId> listTables(@Nullable String namespace, @Nullable String schemaName) {
        checkNamespace(namespace);
        List<TableId> tables = new ArrayList<>();
        for (String[] table : capturedTables.get()) {
            if (schemaName == null || schemaName.equals(table[0])) {
                tables.add(deserializer.toTableId(table[0], table[1]));
            }
        }
        return tables;
    }

    @Override
    public Schema getTableSchema(TableId tableId) {
        PostgresSourceConfig config = configFactory.create(0);
        io.debezium.relational.TableId dbzId =
                new io.debezium.relational.TableId(
                        null, tableId.getSchemaName(), tableId.getTableName());
        try (PostgresConnection jdbc =
                TrackedPostgresConnection.open(config, ROLE, new ConnectionLedger(ROLE))) {
            TableChange change = new CustomPostgresSchema(jdbc, config).getTableSchema(dbzId);
            return deserializer.register(dbzId, change.getTable()).getSchema();
        }
    }

    private void checkNamespace(@Nullable String namespace) {
        if (namespace != null && !namespace.equals(settings.database())) {
            throw new IllegalArgumentException(
                    "This source reads database '"
                            + settings.database()
                            + "', not '"
                            + namespace
                            + "'");
        }
    }
}
