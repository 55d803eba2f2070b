package io.pgcdc.connector.testbed;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import io.pgcdc.connector.source.PostgresPipelineSource;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Flink metric reporter for local jobs that keeps the readers' connection metrics (the ledger
 * each reader exposes), so a demo or test can print what the readers themselves counted. Test code
 * only: the readings live in this class for the JVM's one MiniCluster at a time.
 */
public final class LedgerMetrics implements MetricReporter {

    private static final Map<String, Metric> READINGS = new ConcurrentHashMap<>();

    /** Settings that install this reporter on a local job. */
    public static Configuration reporterSettings() {
        Configuration conf = new Configuration();
        conf.setString("metrics.reporter.ledger.factory.class", Factory.class.getName());
        return conf;
    }

    /** Connections the readers opened, summed over subtasks. */
    public static long opened() {
        return sum(PostgresPipelineSource.OPENED_CONNECTIONS_METRIC);
    }

    /** Connections the readers hold now (0 once they closed), summed over subtasks. */
    public static long open() {
        return sum(PostgresPipelineSource.OPEN_CONNECTIONS_METRIC);
    }

    public static void clear() {
        READINGS.clear();
    }

    private static long sum(String name) {
        long total = 0;
        for (Map.Entry<String, Metric> entry : READINGS.entrySet()) {
            if (entry.getKey().endsWith("." + name)) {
                Metric metric = entry.getValue();
                total +=
                        metric instanceof Counter
                                ? ((Counter) metric).getCount()
                                : ((Number) ((Gauge<?>) metric).getValue()).longValue();
            }
        }
        return total;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (name.startsWith("pgcdc")) {
            READINGS.put(group.getMetricIdentifier(name), metric);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        // kept: the figures are read after the job ended
    }

    /** Creates the reporter from {@code metrics.reporter.ledger.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new LedgerMetrics();
        }
    }
}
