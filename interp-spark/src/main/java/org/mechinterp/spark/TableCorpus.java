package org.mechinterp.spark;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.store.Corpus;

/**
 * A corpus held as a Parquet or CSV table: one prompt per row, its text in one column and, optionally, one column
 * per label holding the per-token values (Parquet: an array of numbers; CSV: a JSON array such as
 * {@code [0.5, null, 1]}). Each row is checked exactly as a {@code .jsonl} line
 * {@code {"text": ..., "labels": {column: [...]}}} would be, and numbered in table order: by the order column when
 * one is given (CSV columns are typed by inference, so numeric ids sort as numbers), else (Parquet only) by file
 * path and row position in the file. Error messages call the 1-based row
 * number in that order the "line".
 */
final class TableCorpus implements CorpusSource {
    /** How to read the table: format ({@code parquet} or {@code csv}), columns, and the order column (or null). */
    record Options(String format, String textColumn, List<String> labelColumns, String orderColumn)
            implements Serializable {
    }

    private final String path;
    private final Options options;
    private final Dataset<Row> table;
    private final JavaSparkContext jsc;

    private TableCorpus(String path, Options options, Dataset<Row> table, JavaSparkContext jsc) {
        this.path = path;
        this.options = options;
        this.table = table;
        this.jsc = jsc;
    }

    /**
     * Opens the table and checks its columns.
     *
     * @throws IllegalArgumentException for another format, a missing column (listing those it has), or a CSV
     *     table without an order column
     */
    static TableCorpus open(SparkSession spark, String path, Options o) {
        String format = o.format().toLowerCase(Locale.ROOT);
        if (!format.equals("parquet") && !format.equals("csv")) {
            throw new IllegalArgumentException("table format '" + o.format() + "' is not supported; use parquet or csv");
        }
        Dataset<Row> df = format.equals("csv")
                ? spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                        .option("inferSchema", "true").csv(path) // so that a numeric order column sorts as numbers
                : spark.read().parquet(path);
        List<String> have = Arrays.asList(df.columns());
        List<String> need = new ArrayList<>();
        need.add(o.textColumn());
        need.addAll(o.labelColumns());
        if (o.orderColumn() != null) {
            need.add(o.orderColumn());
        }
        for (String c : need) {
            if (!have.contains(c)) {
                throw new IllegalArgumentException("table " + path + " has no column '" + c + "'; it has " + have);
            }
        }
        List<Column> order = new ArrayList<>();
        if (o.orderColumn() != null) {
            order.add(functions.col(o.orderColumn()));
        } else if (format.equals("parquet")) {
            order.add(functions.col("_metadata.file_path"));
            order.add(functions.col("_metadata.row_index"));
        } else {
            throw new IllegalArgumentException("table " + path + ": CSV rows have no stable order across files; "
                    + "name an order column (e.g. an id) with --order-column");
        }
        List<Column> cols = new ArrayList<>();
        cols.add(functions.col(o.textColumn()));
        o.labelColumns().forEach(c -> cols.add(functions.col(c)));
        Dataset<Row> ordered = df.orderBy(order.toArray(Column[]::new)).select(cols.toArray(Column[]::new));
        return new TableCorpus(path, new Options(format, o.textColumn(), o.labelColumns(), o.orderColumn()), ordered,
                JavaSparkContext.fromSparkContext(spark.sparkContext()));
    }

    @Override
    public List<String> labelNames() {
        return options.labelColumns();
    }

    @Override
    public String sha256() {
        List<String> files = new ArrayList<>(Arrays.asList(table.inputFiles()));
        files.sort(null);
        return TextCorpus.hashFiles(jsc, files);
    }

    @Override
    public JavaRDD<PromptRow> prompts(String modelPath, int vocabSize, int context, List<String> labelNames) {
        String name = path;
        Options o = options;
        return table.javaRDD().zipWithIndex().mapPartitions(it -> {
            Tokenizer tokenizer = ExecutorModels.tokenizer(modelPath);
            Corpus.LineParser parser = new Corpus.LineParser(name, true, tokenizer, vocabSize, context,
                    o.labelColumns());
            List<PromptRow> out = new ArrayList<>();
            while (it.hasNext()) {
                var t = it.next();
                long id = t._2();
                String json = asJsonLine(t._1(), o, name, id + 1);
                if (tokenizer != null) {
                    synchronized (tokenizer) {
                        out.add(new PromptRow(parser.parse(json, id, id + 1)));
                    }
                } else {
                    out.add(new PromptRow(parser.parse(json, id, id + 1)));
                }
            }
            return out.iterator();
        });
    }

    /** The row as the equivalent .jsonl line, so that one parser checks both. */
    private static String asJsonLine(Row row, Options o, String name, long line) {
        JsonObject obj = new JsonObject();
        Object text = row.get(0);
        obj.add("text", text == null ? JsonNull.INSTANCE : new JsonPrimitive(text.toString()));
        if (!o.labelColumns().isEmpty()) {
            JsonObject labels = new JsonObject();
            for (int c = 0; c < o.labelColumns().size(); c++) {
                labels.add(o.labelColumns().get(c), labelValues(row.get(c + 1), o.labelColumns().get(c), name, line));
            }
            obj.add("labels", labels);
        }
        return obj.toString();
    }

    private static JsonElement labelValues(Object v, String column, String name, long line) {
        if (v == null) {
            return JsonNull.INSTANCE;
        }
        if (v instanceof scala.collection.Seq<?> seq) {
            JsonArray a = new JsonArray();
            scala.collection.Iterator<?> it = seq.iterator();
            while (it.hasNext()) {
                Object x = it.next();
                a.add(x == null ? JsonNull.INSTANCE : x instanceof Number n ? new JsonPrimitive(n)
                        : new JsonPrimitive(x.toString()));
            }
            return a;
        }
        try {
            return JsonParser.parseString(v.toString());
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("corpus " + name + " line " + line + ": label column '" + column
                    + "' is not a JSON array of numbers: " + v);
        }
    }

    @Override
    public String fileOfPrompt(long id) {
        return path;
    }
}
