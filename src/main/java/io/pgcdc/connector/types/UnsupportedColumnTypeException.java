package io.pgcdc.connector.types;

import org.apache.flink.annotation.Internal;

/** A captured column whose PostgreSQL type the source cannot map; names table, column and type. */
@Internal
public class UnsupportedColumnTypeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UnsupportedColumnTypeException(String table, String column, String type) {
        super(
                "Column '"
                        + column
                        + "' of table "
                        + table
                        + " has PostgreSQL type '"
                        + type
                        + "', which the postgres source cannot map. Exclude the table with"
                        + " 'tables.exclude', or change the column's type (e.g. to text).");
    }
}
