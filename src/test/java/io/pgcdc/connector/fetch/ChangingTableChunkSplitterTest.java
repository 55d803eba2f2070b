package io.pgcdc.connector.fetch;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** When a never-analysed table's key range alone proves it fits in one chunk. */
class ChangingTableChunkSplitterTest {

    @Test
    void anIntegerRangeOfAtMostAChunkFits() {
        assertThat(ChangingTableChunkSplitter.keysWithinOneChunk(1, 100, 100)).isTrue();
        assertThat(ChangingTableChunkSplitter.keysWithinOneChunk(1L, 101L, 100)).isFalse();
        assertThat(ChangingTableChunkSplitter.keysWithinOneChunk(-5, -5, 1)).isTrue();
    }

    @Test
    void theWidestLongRangeDoesNotOverflowIntoFitting() {
        assertThat(
                        ChangingTableChunkSplitter.keysWithinOneChunk(
                                Long.MIN_VALUE, Long.MAX_VALUE, 8096))
                .isFalse();
    }

    @Test
    void aDecimalOrTextKeyNeverProvesIt() {
        assertThat(
                        ChangingTableChunkSplitter.keysWithinOneChunk(
                                BigDecimal.ONE, BigDecimal.TEN, 8096))
                .as("decimal keys may lie between integers")
                .isFalse();
        assertThat(ChangingTableChunkSplitter.keysWithinOneChunk("a", "b", 8096)).isFalse();
    }
}
