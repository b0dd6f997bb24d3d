// Loads N-Quads files into Apache Jena TDB2 locations and runs SPARQL queries on them, all in one JVM (a JVM
// start costs about a second; one per query would cost the test suite half a minute).
//
// Run with Java's source launcher, which compiles this file in memory (no javac step, no class files):
//     java -cp "$(scripts/jena-classpath)" tests/stores_jena/RunQueries.java MANIFEST
// MANIFEST is UTF-8 text, one tab-separated command a line:
//     load   LOCATION  FILE.nq                   load the file with TDB2's own loader (the tdb2.tdbloader
//                                                command, called in this JVM) into a new TDB2 location
//     query  LOCATION  SELECT|ASK|CONSTRUCT  QUERY.rq  OUT
//                                                run the query with TDB2's union default graph (the default
//                                                graph is the union of the location's named graphs) and write
//                                                OUT: SPARQL JSON results (SELECT, ASK) or N-Triples
//                                                (CONSTRUCT); on failure, OUT.error holds the message
// Queries are parsed as strict SPARQL 1.1 (not ARQ's extensions). Exit status 0 when every command ran (a
// failed query only writes its OUT.error), 2 on a bad manifest or a failed load.
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.query.Dataset;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.query.Syntax;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2;
import org.apache.jena.tdb2.TDB2Factory;

public class RunQueries {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: RunQueries MANIFEST");
            System.exit(2);
        }
        Map<String, Dataset> open = new HashMap<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t");
            if (f[0].equals("load") && f.length == 3) {
                // The loader command itself, as `java tdb2.tdbloader --loc LOCATION FILE` runs it (mainRun does
                // not exit the JVM); it fails loudly on a parse error.
                tdb2.tdbloader.main("--loc", f[1], "--quiet", f[2]);
            } else if (f[0].equals("query") && f.length == 5) {
                Dataset ds = open.computeIfAbsent(f[1], TDB2Factory::connectDataset);
                runQuery(ds, f[2], Path.of(f[3]), Path.of(f[4]));
            } else {
                System.err.println("bad manifest line: " + line);
                System.exit(2);
            }
        }
    }

    static void runQuery(Dataset ds, String form, Path queryFile, Path out) throws Exception {
        try {
            String text = Files.readString(queryFile, StandardCharsets.UTF_8);
            Query query = QueryFactory.create(text, Syntax.syntaxSPARQL_11);
            Txn.executeRead(ds, () -> {
                try (QueryExecution qexec = QueryExecutionFactory.create(query, ds);
                     OutputStream stream = Files.newOutputStream(out)) {
                    qexec.getContext().set(TDB2.symUnionDefaultGraph, true);
                    switch (form) {
                        case "SELECT" -> ResultSetFormatter.outputAsJSON(stream, qexec.execSelect());
                        case "ASK" -> ResultSetFormatter.outputAsJSON(stream, qexec.execAsk());
                        case "CONSTRUCT" -> RDFDataMgr.write(stream, qexec.execConstruct(), Lang.NTRIPLES);
                        default -> throw new IllegalArgumentException("unknown query form " + form);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (Exception e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            Files.writeString(Path.of(out + ".error"), trace.toString(), StandardCharsets.UTF_8);
        }
    }
}
