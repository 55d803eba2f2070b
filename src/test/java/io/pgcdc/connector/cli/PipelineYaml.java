package io.pgcdc.connector.cli;

import io.pgcdc.connector.testbed.TestDatabase;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code source:} block of a pipeline file that reads a test database. */
final class PipelineYaml {

    private PipelineYaml() {}

    /** The postgres source options pointing at the database, with the given {@code tables}. */
    static Map<String, String> source(TestDatabase db, String tables) {
        Map<String, String> source = new LinkedHashMap<>();
        source.put("type", "postgres");
        source.put("hostname", db.server().host());
        source.put("port", String.valueOf(db.server().port()));
        source.put("username", db.server().user());
        source.put("password", db.server().password());
        source.put("tables", tables);
        source.put("slot.name", db.slotName());
        source.put("decoding.plugin.name", "pgoutput");
        return source;
    }

    /** A YAML block: {@code name:} then each option, single-quoted. */
    static String block(String name, Map<String, String> options) {
        StringBuilder yaml = new StringBuilder(name).append(":\n");
        options.forEach(
                (key, value) ->
                        yaml.append("  ")
                                .append(key)
                                .append(": '")
                                .append(value.replace("'", "''"))
                                .append("'\n"));
        return yaml.toString();
    }
}
