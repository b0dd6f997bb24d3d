// Runs many SPARQL queries against a remote endpoint through Apache Jena ARQ's HTTP query execution
// (QueryExecutionHTTP, what `arq.rsparql` uses), in one JVM. tests/test_clients.py compiles it with javac at
// test time and runs it once for all its cases.
//
// Usage: java -cp JENA_CLASSPATH:CLASSES RemoteQueries CASES_FILE [THREADS]
// CASES_FILE has one case per line, tab-separated:
//   id  query-file  accept-header  send-mode  service-url  output-file
// send-mode is a QuerySendMode name: asGetAlways (GET ?query=), asPostForm (POST form), asPost (POST
// application/sparql-query). Each result is written as Jena parsed it: SELECT as SPARQL JSON results
// (ResultSetFormatter), ASK as "true"/"false", CONSTRUCT and DESCRIBE as N-Triples. A case that fails writes
// its exception to output-file + ".error" and the run goes on. THREADS cases (default 1) run at a time, each
// with its own query execution (Jena's HTTP client is shared, as in any ARQ program). One line per case goes
// to stdout, in the order they end:
//   id <TAB> ok|error <TAB> the response's Content-Type
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSet;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.RDFParserRegistry;
import org.apache.jena.riot.system.ErrorHandlerFactory;
import org.apache.jena.sparql.exec.http.QueryExecutionHTTP;
import org.apache.jena.sparql.exec.http.QuerySendMode;

public final class RemoteQueries {
    private RemoteQueries() {}

    /** Jena reads application/ld+json with its JSON-LD 1.1 parser (Titanium), which needs a Jakarta JSON
     * Processing implementation; Debian ships only its API (no Parsson), so that parser fails on any document
     * ("LOADING_DOCUMENT_FAILED"). Where it does, read JSON-LD with Jena's JSON-LD 1.0 parser (jsonld-java). */
    private static void useJsonLd10WhereJsonLd11CannotRun() {
        try {
            RDFParser.fromString("{\"@id\": \"http://example.org/s\", \"http://example.org/p\": \"o\"}")
                .lang(Lang.JSONLD11)
                .errorHandler(ErrorHandlerFactory.errorHandlerNoLogging)
                .toModel();
        } catch (RuntimeException | LinkageError e) {
            RDFParserRegistry.registerLangQuads(Lang.JSONLD, RDFParserRegistry.getFactory(Lang.JSONLD10));
            System.err.println("RemoteQueries: JSON-LD 1.1 cannot run here (" + e.getMessage()
                + "): application/ld+json is read as JSON-LD 1.0");
        }
    }

    public static void main(String[] args) throws Exception {
        useJsonLd10WhereJsonLd11CannotRun();
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> running = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                running.add(pool.submit(() -> runCase(line.split("\t", -1))));
            }
        }
        for (Future<?> one : running) {
            one.get();
        }
        pool.shutdown();
    }

    private static void runCase(String[] f) {
        String id = f[0];
        Path out = Path.of(f[5]);
        String contentType = "";
        String state = "ok";
        try {
            // as rsparql does: the query is parsed here, then sent as Jena serialises it
            Query query = QueryFactory.create(Files.readString(Path.of(f[1]), StandardCharsets.UTF_8));
            try (QueryExecutionHTTP exec = QueryExecutionHTTP.service(f[4])
                    .query(query)
                    .acceptHeader(f[2])
                    .sendMode(QuerySendMode.valueOf(f[3]))
                    .build();
                 OutputStream stream = Files.newOutputStream(out)) {
                if (query.isSelectType()) {
                    ResultSet results = exec.execSelect();
                    ResultSetFormatter.outputAsJSON(stream, results);
                } else if (query.isAskType()) {
                    stream.write(Boolean.toString(exec.execAsk()).getBytes(StandardCharsets.UTF_8));
                } else {
                    Model model = query.isConstructType() ? exec.execConstruct() : exec.execDescribe();
                    RDFDataMgr.write(stream, model, Lang.NTRIPLES);
                }
                contentType = String.valueOf(exec.getHttpResponseContentType());
            }
        } catch (Exception | Error e) {
            state = "error";
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            try {
                Files.writeString(Path.of(f[5] + ".error"), trace.toString(), StandardCharsets.UTF_8);
            } catch (java.io.IOException ignored) {
                // the missing result file says it failed
            }
        }
        synchronized (System.out) {
            System.out.println(id + "\t" + state + "\t" + contentType);
            System.out.flush();
        }
    }
}
