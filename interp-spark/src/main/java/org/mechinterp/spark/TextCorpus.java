package org.mechinterp.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.mechinterp.core.tokenizer.Tokenizer;
import org.mechinterp.sae.store.Checksums;
import org.mechinterp.sae.store.Corpus;

/**
 * A {@code .txt} or {@code .jsonl} corpus (see {@link Corpus} for the line formats) at any Hadoop-compatible path:
 * one file, a folder of files, or a glob; compressed files (e.g. {@code .jsonl.gz}) are read through Hadoop's
 * codecs. Files are taken in name order and numbered as one corpus: prompt ids count non-blank lines from 0 across
 * all files, line numbers count within each file from 1, exactly as the single-machine {@link Corpus} numbers one
 * file.
 *
 * <p>Lines are read in Hadoop splits, in parallel. Because a split does not know how many lines come before it, a
 * first job counts the lines and prompts of every split; the driver turns the counts into each split's first line
 * number and first prompt id; a second job parses (and tokenizes) each split with those. Every error names the
 * file and line (an unreadable split: the file and the last line read).
 */
final class TextCorpus implements CorpusSource {
    private final JavaSparkContext jsc;
    private final List<String> files;
    private final boolean jsonl;
    private final JavaNewHadoopRDD<LongWritable, Text> lines;
    private List<SplitCount> counts;

    private TextCorpus(JavaSparkContext jsc, List<String> files, boolean jsonl,
            JavaNewHadoopRDD<LongWritable, Text> lines) {
        this.jsc = jsc;
        this.files = files;
        this.jsonl = jsonl;
        this.lines = lines;
    }

    /**
     * Lists the corpus files (sorted by path) and decides their format.
     *
     * @throws IllegalArgumentException if nothing matches, or the files mix formats or have another extension
     */
    static TextCorpus open(JavaSparkContext jsc, String path) throws IOException {
        Configuration conf = jsc.hadoopConfiguration();
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        List<String> files = new ArrayList<>();
        FileStatus[] matched = fs.globStatus(p);
        if (matched != null) {
            for (FileStatus st : matched) {
                if (st.isDirectory()) {
                    for (FileStatus f : fs.listStatus(st.getPath())) {
                        String n = f.getPath().getName();
                        if (f.isFile() && !n.startsWith("_") && !n.startsWith(".")) {
                            files.add(f.getPath().toString());
                        }
                    }
                } else {
                    files.add(st.getPath().toString());
                }
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("corpus " + path + " matches no files");
        }
        files.sort(Comparator.naturalOrder());
        CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
        Boolean jsonl = null;
        for (String f : files) {
            boolean j = Corpus.isJsonl(uncompressedName(codecs, new Path(f)));
            if (jsonl != null && jsonl != j) {
                throw new IllegalArgumentException("corpus " + path + " mixes .txt and .jsonl files (" + f
                        + "); give one format");
            }
            jsonl = j;
        }
        Job job = Job.getInstance(conf);
        Path[] paths = files.stream().map(Path::new).toArray(Path[]::new);
        FileInputFormat.setInputPaths(job, paths);
        JavaNewHadoopRDD<LongWritable, Text> rdd = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopRDD(
                job.getConfiguration(), TextInputFormat.class, LongWritable.class, Text.class);
        return new TextCorpus(jsc, List.copyOf(files), jsonl, rdd);
    }

    private static String uncompressedName(CompressionCodecFactory codecs, Path p) {
        CompressionCodec codec = codecs.getCodec(p);
        String name = p.getName();
        return codec == null ? name : CompressionCodecFactory.removeSuffix(name, codec.getDefaultExtension());
    }

    /** The files in corpus order. */
    List<String> files() {
        return files;
    }

    /** Whether lines are JSON objects. */
    boolean jsonl() {
        return jsonl;
    }

    /**
     * SHA-256 identifying the corpus: of the file's bytes for one file (as the single-machine capture records),
     * else of the list "path TAB sha256 LF" over the files in order. Files are hashed in parallel on executors.
     */
    @Override
    public String sha256() {
        return hashFiles(jsc, files);
    }

    /** See {@link #sha256()}: the hash of one file, or of the list of the files' hashes. */
    static String hashFiles(JavaSparkContext jsc, List<String> files) {
        HadoopConf conf = new HadoopConf(jsc.hadoopConfiguration());
        List<String> hashes = jsc.parallelize(files, Math.max(1, Math.min(files.size(), 1000)))
                .map(f -> hashFile(conf, f)).collect();
        if (files.size() == 1) {
            return hashes.get(0);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < files.size(); i++) {
            sb.append(files.get(i)).append('\t').append(hashes.get(i)).append('\n');
        }
        return Checksums.sha256(sb.toString());
    }

    private static String hashFile(HadoopConf conf, String file) throws IOException {
        Path p = new Path(file);
        MessageDigest md = Checksums.sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new IOException("corpus file " + file + ": cannot read: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Lines, prompts and first prompt line of one Hadoop split. */
    record SplitCount(int partition, String file, long start, long lines, long prompts, long firstLine,
            String firstText) implements Serializable {
    }

    /** Counts every split's lines and prompts (one pass over the corpus); cached. */
    List<SplitCount> counts() {
        if (counts == null) {
            counts = new ArrayList<>(lines.mapPartitionsWithInputSplit((split, it) -> {
                FileSplit fs = (FileSplit) split;
                String file = fs.getPath().toString();
                long n = 0;
                long prompts = 0;
                long firstLine = 0;
                String first = null;
                while (hasNext(it, file, n)) {
                    String s = it.next()._2().toString();
                    n++;
                    if (!s.isBlank()) {
                        if (prompts++ == 0) {
                            firstLine = n;
                            first = s;
                        }
                    }
                }
                int part = org.apache.spark.TaskContext.getPartitionId();
                return List.of(new SplitCount(part, file, fs.getStart(), n, prompts, firstLine, first)).iterator();
            }, true).collect());
            counts.sort(Comparator.comparing((SplitCount c) -> files.indexOf(c.file)).thenComparingLong(c -> c.start));
        }
        return counts;
    }

    /** Total prompts (non-blank lines). */
    long prompts() {
        return counts().stream().mapToLong(SplitCount::prompts).sum();
    }

    /**
     * The label columns, fixed by the corpus's first prompt (empty for text corpora and unlabelled prompts).
     *
     * @throws IllegalArgumentException if the corpus has no prompts, or the first is malformed (naming the line)
     */
    @Override
    public List<String> labelNames() {
        for (SplitCount c : counts()) {
            if (c.prompts > 0) {
                long line = firstLineNumber(c) + c.firstLine - 1;
                return jsonl ? Corpus.labelNamesOf(c.file, line, c.firstText) : List.of();
            }
        }
        throw new IllegalArgumentException("corpus " + String.join(", ", files) + " has no prompts (only blank "
                + "lines)");
    }

    private long firstLineNumber(SplitCount target) {
        long line = 1;
        for (SplitCount c : counts()) {
            if (c == target) {
                return line;
            }
            line = c.file.equals(target.file) ? line + c.lines : line;
        }
        throw new IllegalStateException("split not counted");
    }

    /**
     * Parses and tokenizes every prompt on the executors (tokenizer of the model folder {@code modelPath} there),
     * numbered as one corpus.
     *
     * @param labels the label columns every prompt must carry (from {@link #labelNames()})
     */
    @Override
    public JavaRDD<PromptRow> prompts(String modelPath, int vocabSize, int context, List<String> labels) {
        Map<Integer, long[]> bases = new HashMap<>(); // partition -> {first line number, first prompt id}
        Map<String, Long> fileLine = new HashMap<>();
        long prompt = 0;
        for (SplitCount c : counts()) {
            long line = fileLine.getOrDefault(c.file, 1L);
            bases.put(c.partition, new long[] {line, prompt});
            fileLine.put(c.file, line + c.lines);
            prompt += c.prompts;
        }
        boolean isJsonl = jsonl;
        List<String> labelNames = List.copyOf(labels);
        return lines.mapPartitionsWithInputSplit((split, it) -> {
            String file = ((FileSplit) split).getPath().toString();
            long[] base = bases.get(org.apache.spark.TaskContext.getPartitionId());
            Tokenizer tokenizer = ExecutorModels.tokenizer(modelPath);
            Corpus.LineParser parser = new Corpus.LineParser(file, isJsonl, tokenizer, vocabSize, context,
                    labelNames);
            List<PromptRow> out = new ArrayList<>();
            long n = 0;
            long id = base[1];
            while (hasNext(it, file, base[0] + n - 1)) {
                String s = it.next()._2().toString();
                n++;
                if (!s.isBlank()) {
                    Corpus.Prompt p;
                    if (tokenizer != null) {
                        synchronized (tokenizer) { // one native tokenizer per JVM, shared by its tasks
                            p = parser.parse(s, id++, base[0] + n - 1);
                        }
                    } else {
                        p = parser.parse(s, id++, base[0] + n - 1);
                    }
                    out.add(new PromptRow(p));
                }
            }
            return out.iterator();
        }, true);
    }

    @Override
    public String fileOfPrompt(long id) {
        long prompt = 0;
        for (SplitCount c : counts()) {
            prompt += c.prompts;
            if (id < prompt) {
                return c.file;
            }
        }
        return String.join(", ", files);
    }

    /** Reads on, turning a read failure (corrupt or unreadable file) into an error naming file and line. */
    private static boolean hasNext(Iterator<?> it, String file, long linesRead) {
        try {
            return it.hasNext();
        } catch (Exception e) { // Hadoop's IOExceptions pass through Scala undeclared
            throw new IllegalArgumentException("corpus file " + file + ": cannot read past line " + linesRead
                    + " of this split: " + e, e);
        }
    }
}
