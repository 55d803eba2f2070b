package io.pgcdc.connector.fetch;

import org.apache.flink.cdc.connectors.base.config.JdbcSourceConfig;
import org.apache.flink.cdc.connectors.base.source.reader.external.JdbcSourceFetchTaskContext;
import org.apache.flink.cdc.connectors.postgres.source.PostgresDialect;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.util.FlinkRuntimeException;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConnection;
import io.pgcdc.connector.source.ConnectionSettings;

import static io.debezium.connector.postgresql.PostgresObjectUtils.newPostgresValueConverterBuilder;

/**
 * Our seam into postgres-cdc: the dialect the incremental source uses on the enumerator and on
 * every reader. Connections it opens are direct, labelled and owned by the caller; it never touches
 * postgres-cdc's JVM-wide connection pools, so closing it cannot affect another job.
 */
public class PgcdcPostgresDialect extends PostgresDialect {

    private static final long serialVersionUID = 1L;

    /** Label of the short-lived connections the dialect opens (discovery, splitting, offsets). */
    static final String DIALECT_ROLE = "dialect";

    public PgcdcPostgresDialect(PostgresSourceConfig sourceConfig) {
        super(sourceConfig);
    }

    @Override
    public JdbcConnection openJdbcConnection(JdbcSourceConfig sourceConfig) {
        PostgresConnectorConfig dbzConfig =
                ((PostgresSourceConfig) sourceConfig).getDbzConnectorConfig();
        PostgresConnection connection =
                new PostgresConnection(
                        dbzConfig.getJdbcConfig(),
                        newPostgresValueConverterBuilder(dbzConfig),
                        ConnectionSettings.applicationName(DIALECT_ROLE));
        try {
            connection.connect();
            return connection;
        } catch (Exception e) {
            closeQuietly(connection, e);
            throw new FlinkRuntimeException(
                    "Cannot open a connection to PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(JdbcConnection connection, Exception failure) {
        try {
            connection.close();
        } catch (Exception closeFailure) {
            failure.addSuppressed(closeFailure);
        }
    }

    /** Our context: it closes each split's connection when the next split or the reader comes. */
    @Override
    public JdbcSourceFetchTaskContext createFetchTaskContext(JdbcSourceConfig taskSourceConfig) {
        return new PgcdcFetchTaskContext(taskSourceConfig, this);
    }

    /** Nothing pooled to close: unlike upstream, this never clears other jobs' pools. */
    @Override
    public void close() {}
}
