package io.pgcdc.connector.testbed;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
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
    private String lowered;
    private Level loweredFrom;

    private LogCapture(Level threshold) {
        this(threshold, threshold.isLessSpecificThan(Level.DEBUG));
    }

    private LogCapture(Level threshold, boolean everyLoggerToDebug) {
        context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        PatternLayout layout =
                PatternLayout.newBuilder()
                        .withConfiguration(config)
                        .withPattern("%p %c - %m%n%throwable")
                        .build();
        appender =
                WriterAppender.createAppender(
                        layout, null, text, "capture-" + UUID.randomUUID(), false, true);
        appender.start();
        config.addAppender(appender);
        config.getRootLogger().addAppender(appender, threshold, null);
        if (everyLoggerToDebug) {
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

    /**
     * What is logged at the level or above, with the named logger (e.g. a Flink class logging at
     * INFO, which the test configuration keeps at WARN) lowered to the level while open.
     */
    public static LogCapture logger(String name, Level level) {
        Level before = LogManager.getLogger(name).getLevel();
        Configurator.setLevel(name, level);
        LogCapture capture = new LogCapture(level, false);
        capture.lowered = name;
        capture.loweredFrom = before;
        return capture;
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
        if (lowered != null) {
            Configurator.setLevel(lowered, loweredFrom);
        }
        appender.stop();
    }
}
