package io.pgcdc.connector.types;

import org.apache.kafka.connect.data.Struct;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * The strings upstream's pipeline connector emits for {@code point} and PostGIS {@code geometry} /
 * {@code geography} values: {@code {"coordinates":"[[x,y],...]","type":"Point","srid":0}} (the
 * coordinates are themselves a JSON text, x and y only), or for a collection {@code
 * {"type":"GeometryCollection","geometries":"<WKT>","srid":n}}.
 */
final class GeometryStrings {

    private GeometryStrings() {}

    /** Debezium's Point, Geometry or Geography struct as that JSON text. */
    static String toJson(Struct value) {
        Integer srid = value.schema().field("srid") == null ? null : value.getInt32("srid");
        int sridOrZero = srid == null ? 0 : srid;
        if (value.schema().field("x") != null && value.getFloat64("x") != null) {
            return json(
                    "[["
                            + number(value.getFloat64("x"))
                            + ","
                            + number(value.getFloat64("y"))
                            + "]]",
                    "Point",
                    sridOrZero);
        }
        byte[] wkb = ValueConverters.toBytes(value.get("wkb"));
        Geometry geometry;
        try {
            geometry = new WKBReader().read(wkb);
        } catch (ParseException e) {
            throw new IllegalArgumentException(
                    "Cannot read a geometry value (WKB): " + e.getMessage(), e);
        }
        if (srid == null && geometry.getSRID() != 0) {
            sridOrZero = geometry.getSRID();
        }
        if ("GeometryCollection".equals(geometry.getGeometryType())) {
            return "{\"type\":\"GeometryCollection\",\"geometries\":\""
                    + geometry.toText().replace("\"", "\\\"")
                    + "\",\"srid\":"
                    + sridOrZero
                    + "}";
        }
        StringJoiner coordinates = new StringJoiner(",", "[", "]");
        for (Coordinate c : geometry.getCoordinates()) {
            coordinates.add("[" + number(c.getX()) + "," + number(c.getY()) + "]");
        }
        return json(coordinates.toString(), geometry.getGeometryType(), sridOrZero);
    }

    private static String json(String coordinates, String type, int srid) {
        return "{\"coordinates\":\""
                + coordinates
                + "\",\"type\":\""
                + type
                + "\",\"srid\":"
                + srid
                + "}";
    }

    private static String number(double value) {
        return value == Math.rint(value) && !Double.isInfinite(value)
                ? String.format(Locale.ROOT, "%.1f", value)
                : Double.toString(value);
    }
}
