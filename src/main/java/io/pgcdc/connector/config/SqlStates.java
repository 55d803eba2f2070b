package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

/** The PostgreSQL SQLSTATEs the connector acts on (names as in PostgreSQL's errcodes). */
@Internal
public final class SqlStates {

    /** Class 08, connection exceptions (pgjdbc's timeouts and refused connections included). */
    public static final String CONNECTION_EXCEPTION_CLASS = "08";

    public static final String UNABLE_TO_CONNECT = "08001";
    public static final String CONNECTION_REJECTED = "08004";
    public static final String INVALID_AUTHORIZATION = "28000";
    public static final String INVALID_PASSWORD = "28P01";
    public static final String INVALID_CATALOG_NAME = "3D000";
    public static final String UNDEFINED_TABLE = "42P01";
    public static final String UNDEFINED_COLUMN = "42703";
    public static final String DUPLICATE_OBJECT = "42710";
    public static final String TOO_MANY_CONNECTIONS = "53300";
    public static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";
    public static final String QUERY_CANCELED = "57014";
    public static final String ADMIN_SHUTDOWN = "57P01";
    public static final String CANNOT_CONNECT_NOW = "57P03";

    private SqlStates() {}
}
