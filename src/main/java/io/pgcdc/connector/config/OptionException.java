package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.api.ValidationException;

/** A bad value of one option: the message names the option, what is wrong and the fix. */
@Internal
public class OptionException extends ValidationException {

    private static final long serialVersionUID = 1L;

    private final String optionKey;

    public OptionException(String optionKey, String problem) {
        super("Option '" + optionKey + "' " + problem + ".");
        this.optionKey = optionKey;
    }

    public OptionException(String optionKey, String problem, Throwable cause) {
        super("Option '" + optionKey + "' " + problem + ".", cause);
        this.optionKey = optionKey;
    }

    public String optionKey() {
        return optionKey;
    }
}
