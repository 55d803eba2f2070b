package io.pgcdc.connector.source;

import org.apache.flink.cdc.common.event.AddColumnEvent;
import org.apache.flink.cdc.common.event.AlterColumnTypeEvent;
import org.apache.flink.cdc.common.event.DropColumnEvent;
import org.apache.flink.cdc.common.event.RenameColumnEvent;
import org.apache.flink.cdc.common.event.TableId;
import org.apache.flink.cdc.common.schema.Column;
import org.apache.flink.cdc.common.schema.Schema;
import org.apache.flink.cdc.common.types.DataType;
import org.apache.flink.cdc.common.types.DataTypes;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;

/** The diff between the schema downstream knows and the one a Relation message describes. */
class SchemaEvolutionTest {

    private static final TableId T = TableId.tableId("public", "t");

    private static final Schema KNOWN =
            Schema.newBuilder()
                    .physicalColumn("id", DataTypes.INT().notNull())
                    .physicalColumn("name", DataTypes.STRING(), "the name")
                    .physicalColumn("n", DataTypes.INT())
                    .primaryKey("id")
                    .build();

    @Test
    void theSameColumnsGiveNoEventsEvenIfNullabilityOrCommentsDiffer() {
        Schema described =
                Schema.newBuilder()
                        .physicalColumn("id", DataTypes.INT())
                        .physicalColumn("name", DataTypes.STRING().notNull())
                        .physicalColumn("n", DataTypes.INT())
                        .primaryKey("id")
                        .build();
        SchemaEvolution evolution = SchemaEvolution.between(T, KNOWN, described);
        assertThat(evolution.events()).isEmpty();
        assertThat(evolution.result()).isEqualTo(KNOWN);
    }

    @Test
    void anInPlaceRenameOfTheSameTypeIsARename() {
        Schema described = schema("id", "title", "n");
        SchemaEvolution evolution = SchemaEvolution.between(T, KNOWN, described);
        assertThat(evolution.events()).containsExactly(renamed("name", "title"));
        assertThat(evolution.result().getColumnNames()).containsExactly("id", "title", "n");
        assertThat(evolution.result().getColumn("title").get().getComment()).isEqualTo("the name");
    }

    @Test
    void aNewNameOfAnotherTypeAtTheSamePositionIsADropAndAnAdd() {
        Schema described =
                idAnd().physicalColumn("title", DataTypes.BIGINT())
                        .physicalColumn("n", DataTypes.INT())
                        .build();
        SchemaEvolution evolution = SchemaEvolution.between(T, KNOWN, described);
        assertThat(evolution.events())
                .containsExactly(dropped("name"), addedAfter("id", "title", DataTypes.BIGINT()));
        assertThat(evolution.result().getColumnNames()).containsExactly("id", "title", "n");
    }

    @Test
    void appendedColumnsAreAddedLastInOrder() {
        Schema described =
                idAnd().physicalColumn("name", DataTypes.STRING())
                        .physicalColumn("n", DataTypes.INT())
                        .physicalColumn("a", DataTypes.DATE())
                        .physicalColumn("b", DataTypes.BOOLEAN().notNull())
                        .build();
        SchemaEvolution evolution = SchemaEvolution.between(T, KNOWN, described);
        assertThat(evolution.events())
                .containsExactly(
                        new AddColumnEvent(
                                T,
                                Arrays.asList(
                                        AddColumnEvent.last(
                                                Column.physicalColumn("a", DataTypes.DATE())),
                                        AddColumnEvent.last(
                                                Column.physicalColumn(
                                                        "b", DataTypes.BOOLEAN().notNull())))));
        assertThat(evolution.result().getColumnNames())
                .containsExactly("id", "name", "n", "a", "b");
    }

    @Test
    void dropThenTypeChangeComeAsTwoEventsInThatOrder() {
        Schema described = idAnd().physicalColumn("n", DataTypes.BIGINT()).build();
        SchemaEvolution evolution = SchemaEvolution.between(T, KNOWN, described);
        assertThat(evolution.events())
                .containsExactly(
                        dropped("name"), retyped("n", DataTypes.INT(), DataTypes.BIGINT()));
        assertThat(evolution.result().getColumnDataTypes())
                .containsExactly(DataTypes.INT().notNull(), DataTypes.BIGINT());
    }

    @Test
    void theCatalogSaysAddedWherePositionAndTypeSuggestARename() {
        Schema described = schema("id", "title", "n");
        SchemaEvolution evolution =
                SchemaEvolution.between(
                        T,
                        KNOWN,
                        described,
                        Collections.emptyMap(),
                        Collections.singleton("title"));
        assertThat(evolution.events())
                .containsExactly(dropped("name"), addedAfter("id", "title", DataTypes.STRING()));
    }

    @Test
    void theCatalogSaysRenamedEvenWhenTheTypeChangedToo() {
        Schema described =
                idAnd().physicalColumn("name", DataTypes.STRING())
                        .physicalColumn("count", DataTypes.BIGINT())
                        .build();
        SchemaEvolution evolution =
                SchemaEvolution.between(
                        T,
                        KNOWN,
                        described,
                        Collections.singletonMap("n", "count"),
                        Collections.emptySet());
        assertThat(evolution.events())
                .containsExactly(
                        renamed("n", "count"),
                        retyped("count", DataTypes.INT(), DataTypes.BIGINT()));
    }

    /** A described schema's builder, its first column {@code id INT NOT NULL} as in KNOWN. */
    private static Schema.Builder idAnd() {
        return Schema.newBuilder().physicalColumn("id", DataTypes.INT().notNull());
    }

    private static DropColumnEvent dropped(String column) {
        return new DropColumnEvent(T, Collections.singletonList(column));
    }

    private static AddColumnEvent addedAfter(String after, String column, DataType type) {
        return new AddColumnEvent(
                T,
                Collections.singletonList(
                        AddColumnEvent.after(Column.physicalColumn(column, type), after)));
    }

    private static RenameColumnEvent renamed(String from, String to) {
        return new RenameColumnEvent(T, Collections.singletonMap(from, to));
    }

    private static AlterColumnTypeEvent retyped(String column, DataType from, DataType to) {
        return new AlterColumnTypeEvent(
                T, Collections.singletonMap(column, to), Collections.singletonMap(column, from));
    }

    private static Schema schema(String... names) {
        Schema.Builder builder = Schema.newBuilder();
        builder.physicalColumn(names[0], DataTypes.INT().notNull());
        builder.physicalColumn(names[1], DataTypes.STRING());
        builder.physicalColumn(names[2], DataTypes.INT());
        return builder.build();
    }
}
