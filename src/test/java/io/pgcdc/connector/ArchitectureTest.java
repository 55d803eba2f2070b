package io.pgcdc.connector;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layout the README's Layout section describes: no cycles between packages, and
 * dependencies only downwards, from the SPI factory to the value types in {@code config}.
 */
class ArchitectureTest {

    private static final String ROOT = "io.pgcdc.connector";
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages(ROOT);
    }

    @Test
    void noPackageCycles() {
        // (**): every package its own slice, so source and source.enumerator are told apart
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void configDependsOnNothingOfOurs() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".config..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        ROOT + ".factory..",
                        ROOT + ".source..",
                        ROOT + ".fetch..",
                        ROOT + ".types..",
                        ROOT + ".resource..")
                .check(main);
    }

    @Test
    void layersOnlyDependDownwards() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("factory")
                .definedBy(ROOT + ".factory..")
                .layer("source")
                .definedBy(ROOT + ".source")
                .layer("enumerator")
                .definedBy(ROOT + ".source.enumerator..")
                .layer("split")
                .definedBy(ROOT + ".source.split..")
                .layer("fetch")
                .definedBy(ROOT + ".fetch..")
                .layer("types")
                .definedBy(ROOT + ".types..")
                .layer("resource")
                .definedBy(ROOT + ".resource..")
                .layer("config")
                .definedBy(ROOT + ".config..")
                .whereLayer("factory")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("source")
                .mayOnlyBeAccessedByLayers("factory")
                .whereLayer("enumerator")
                .mayOnlyBeAccessedByLayers("source")
                .whereLayer("split")
                .mayOnlyBeAccessedByLayers("source", "enumerator")
                .whereLayer("fetch")
                .mayOnlyBeAccessedByLayers("factory", "source", "enumerator")
                .whereLayer("types")
                .mayOnlyBeAccessedByLayers("factory", "source", "enumerator", "fetch")
                .whereLayer("resource")
                .mayOnlyBeAccessedByLayers("factory", "source", "enumerator", "fetch")
                .check(main);
    }
}
