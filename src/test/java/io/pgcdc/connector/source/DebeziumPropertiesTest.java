package io.pgcdc.connector.source;

import io.pgcdc.connector.config.PostgresSourceSettings;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replication-slot retry Debezium uses when a stream starts while the slot is still held: a
 * stream that resumes from an offset searches the WAL on one walsender session, then starts again
 * on a new one, often before the first has released the slot, and Debezium's default waited 10 s
 * before trying again (seen in the benchmark's tables phase). The budget stays about a minute.
 */
class DebeziumPropertiesTest {

    @Test
    void aHeldSlotIsRetriedEverySecondForAMinute() {
        Properties props = PostgresDataSource.debeziumProperties(settings(new HashMap<>()));

        assertThat(props.getProperty("slot.retry.delay.ms")).isEqualTo("1000");
        assertThat(props.getProperty("slot.max.retries")).isEqualTo("60");
    }

    @Test
    void aRetrySettingOfTheUsersKeepsDebeziumsOtherDefault() {
        Map<String, String> options = new HashMap<>();
        options.put("debezium.slot.max.retries", "3");

        Properties props = PostgresDataSource.debeziumProperties(settings(options));

        assertThat(props.getProperty("slot.max.retries")).isEqualTo("3");
        assertThat(props.getProperty("slot.retry.delay.ms"))
                .as("not shortened under the user's retry count")
                .isNull();
    }

    private static PostgresSourceSettings settings(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>();
        options.put("hostname", "localhost");
        options.put("username", "cdc");
        options.put("password", "cdc-secret");
        options.put("tables", "shop.public.orders");
        options.put("slot.name", "job_slot");
        options.putAll(extra);
        return PostgresSourceSettings.parse(options);
    }
}
