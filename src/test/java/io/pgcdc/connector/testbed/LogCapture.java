package io.pgcdc.connector.testbed;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Everything logged while it is open, messages and stack traces: down to DEBUG for every logger
 * (the configured levels are restored on close), for checks such as "no password in the logs"; or
 * only what the configured levels let through at a given level or above, e.g. "no ERROR".
 */
public final class LogCapture implements AutoCloseable {

    private final StringWriter text = new StringWriter();
    private final LoggerContext context;
    private final WriterAppender appender;
    private final Map<String, Level> levels = new HashMap<>();

    private LogCapture(Level threshold) {
        context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        PatternLayout layout =
                PatternLayout.newBuilder().withConfiguration(config).withPattern("%p %c - %m%n%throwable").build();
        appender = WriterAppender.createAppender(layout, null, text, "capture-" + UUID.randomUUID(), false, true);
        appender.start();
        config.addAppender(appender);
        config.getRootLogger().addAppender(appender, threshold, null);
        if (threshold.isLessSpecificThan(Level.DEBUG)) {
            for (LoggerConfig logger : config.getLoggers().values()) {
                levels.put(logger.getName(), logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }
        }
        context.updateLoggers();
    }

    /** Everything, down to DEBUG. */
    public static LogCapture start() {
        return new LogCapture(Level.ALL);
    }

    /** What is logged at the level or above (at the configured logger levels). */
    public static LogCapture atLeast(Level level) {
        return new LogCapture(level);
    }

    public synchronized String text() {
        return text.toString();
    }

    @Override
    public void close() {
        Configuration config = context.getConfiguration();
        config.getRootLogger().removeAppender(appender.getName());
        for (LoggerConfig logger : config.getLoggers().values()) {
            Level level = levels.get(logger.getName());
            if (level != null) {
                logger.setLevel(level);
            }
        }
        context.updateLoggers();
        appender.stop();
    }
}
