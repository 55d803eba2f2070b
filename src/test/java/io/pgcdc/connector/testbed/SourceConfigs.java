package io.pgcdc.connector.testbed;

import org.apache.flink.cdc.common.configuration.Configuration;
import org.apache.flink.cdc.common.factories.DataSourceFactory;
import org.apache.flink.cdc.common.factories.Factory;
import org.apache.flink.cdc.common.factories.FactoryHelper;
import org.apache.flink.cdc.common.source.DataSource;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfig;
import org.apache.flink.cdc.connectors.postgres.source.config.PostgresSourceConfigFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

/** Builds sources the way the Flink CDC CLI does: factory by SPI, options as a configuration. */
public final class SourceConfigs {

    private SourceConfigs() {}

    /** The factory registered for {@code type} through META-INF/services. */
    public static DataSourceFactory factory(String type) {
        for (Factory factory : ServiceLoader.load(Factory.class)) {
            if (factory.identifier().equals(type) && factory instanceof DataSourceFactory) {
                return (DataSourceFactory) factory;
            }
        }
        throw new AssertionError(
                "No DataSourceFactory with identifier '" + type + "' found by SPI");
    }

    /** The connection options pointing at a test database. */
    public static Map<String, String> connection(TestDatabase db, String tables) {
        Map<String, String> options = new HashMap<>();
        options.put("hostname", db.server().host());
        options.put("port", String.valueOf(db.server().port()));
        options.put("username", db.server().user());
        options.put("password", db.server().password());
        options.put("tables", tables);
        options.put("slot.name", db.slotName());
        options.put("decoding.plugin.name", "pgoutput");
        return options;
    }

    public static DataSource create(Map<String, String> options) {
        FactoryHelper.DefaultContext context =
                new FactoryHelper.DefaultContext(
                        Configuration.fromMap(options),
                        new Configuration(),
                        SourceConfigs.class.getClassLoader());
        return factory("postgres").createDataSource(context);
    }

    /**
     * A subtask's config for a server that does not exist: nothing listens on its port on the
     * loopback address, so a connect is refused at once, and it is not retried. For unit tests of
     * what an owner does when it cannot connect.
     */
    public static PostgresSourceConfig withoutServer(int subtask) {
        PostgresSourceConfigFactory factory = new PostgresSourceConfigFactory();
        factory.hostname(InetAddress.getLoopbackAddress().getHostAddress());
        factory.port(unusedPort());
        factory.username("cdc");
        factory.password("cdc-secret");
        factory.database("shop");
        factory.tableList("public\\.orders");
        factory.slotName("job_slot");
        factory.decodingPluginName("pgoutput");
        factory.connectMaxRetries(0);
        factory.connectTimeout(Duration.ofSeconds(2));
        return factory.create(subtask);
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    private static int unusedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
