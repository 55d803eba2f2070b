package io.pgcdc.connector.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The few calls of Flink's REST API the CLI tests make: find a job, wait for a state, cancel it.
 */
final class FlinkRest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    FlinkRest(int port) {
        this.base = "http://localhost:" + port;
    }

    /** The id of the one job named so, once it is in the state. */
    String awaitJob(String name, String state, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode jobs = null;
        while (System.nanoTime() < deadline) {
            jobs = get("/jobs/overview").path("jobs");
            for (JsonNode job : jobs) {
                if (name.equals(job.path("name").asText())
                        && state.equals(job.path("state").asText())) {
                    return job.path("jid").asText();
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                "No job '" + name + "' in state " + state + " after " + timeout + ": " + jobs);
    }

    String state(String jobId) throws Exception {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** The job's first failure, as Flink's REST API reports it ("" if none). */
    String rootException(String jobId) throws Exception {
        return get("/jobs/" + jobId + "/exceptions").path("root-exception").asText("");
    }

    void awaitState(String jobId, String state, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String now = null;
        while (System.nanoTime() < deadline) {
            now = state(jobId);
            if (state.equals(now)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                "Job "
                        + jobId
                        + " is "
                        + now
                        + ", not "
                        + state
                        + ", after "
                        + timeout
                        + "; root exception: "
                        + rootException(jobId));
    }

    /** Cancels the job and waits until it is cancelled. */
    void cancel(String jobId, Duration timeout) throws Exception {
        requestCancel(jobId);
        awaitState(jobId, "CANCELED", timeout);
    }

    /**
     * Asks for the job's cancellation (a mini cluster goes away with its job, so no waiting here).
     */
    void requestCancel(String jobId) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel"))
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())
                        .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new AssertionError(
                    "Cancelling "
                            + jobId
                            + ": HTTP "
                            + response.statusCode()
                            + " "
                            + response.body());
        }
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }
}
