package io.pgcdc.connector.config;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Class names in option values follow the libraries into the plugin jar's relocated packages. */
@Tag("core")
class ShadedNamesTest {

    private static final String PREFIX = "io.pgcdc.shaded.";

    @Test
    void namesOfRelocatedLibrariesAreTranslated() {
        assertThat(ShadedNames.translate("org.postgresql.ssl.NonValidatingFactory", PREFIX))
                .isEqualTo("io.pgcdc.shaded.org.postgresql.ssl.NonValidatingFactory");
        assertThat(
                        ShadedNames.translate(
                                "io.debezium.connector.postgresql.PostgresConnector", PREFIX))
                .isEqualTo("io.pgcdc.shaded.io.debezium.connector.postgresql.PostgresConnector");
        assertThat(
                        ShadedNames.translate(
                                "org.apache.kafka.connect.json.JsonConverter, com.acme.Mine",
                                PREFIX))
                .isEqualTo(
                        "io.pgcdc.shaded.org.apache.kafka.connect.json.JsonConverter,"
                                + " com.acme.Mine");
    }

    @Test
    void everythingElseIsLeftAlone() {
        assertThat(ShadedNames.translate("require", PREFIX)).isEqualTo("require");
        assertThat(ShadedNames.translate("org.postgresqlx.Other", PREFIX))
                .isEqualTo("org.postgresqlx.Other");
        assertThat(ShadedNames.translate("INSERT INTO heartbeat VALUES (1), (2)", PREFIX))
                .isEqualTo("INSERT INTO heartbeat VALUES (1), (2)");
        assertThat(ShadedNames.translate(null, PREFIX)).isNull();
        assertThat(ShadedNames.translate("org.postgresql.Driver", ""))
                .isEqualTo("org.postgresql.Driver");
    }
}
