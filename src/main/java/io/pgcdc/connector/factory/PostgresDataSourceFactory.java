package io.pgcdc.connector.factory;

import org.apache.flink.annotation.Internal;
import org.apache.flink.cdc.common.configuration.ConfigOption;
import org.apache.flink.cdc.common.factories.DataSourceFactory;
import org.apache.flink.cdc.common.source.DataSource;

import io.pgcdc.connector.config.PostgresSourceSettings;
import io.pgcdc.connector.source.PostgresDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;

/**
 * The {@code postgres} pipeline source, found through SPI. Validates every option before touching
 * the database, then resolves the table patterns over one short connection.
 */
@Internal
public class PostgresDataSourceFactory implements DataSourceFactory {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresDataSourceFactory.class);

    public static final String IDENTIFIER = "postgres";

    @Override
    public DataSource createDataSource(Context context) {
        PostgresSourceSettings settings =
                PostgresSourceSettings.parse(context.getFactoryConfiguration().toMap());
        List<String[]> captured = CapturedTables.resolve(settings);
        settings.ineffectiveOptions.forEach(LOG::warn);
        return new PostgresDataSource(settings, captured, () -> CapturedTables.resolve(settings));
    }

    @Override
    public String identifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return PostgresSourceSettings.requiredOptions();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return PostgresSourceSettings.optionalOptions();
    }
}
