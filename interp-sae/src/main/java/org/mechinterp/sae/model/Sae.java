package org.mechinterp.sae.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.mechinterp.core.Interp;

/**
 * A trained sparse autoencoder for inference (fp32, on raw activations).
 *
 * <p>Math, for an input row x ∈ R^d: z = W_encᵀ(x − b_dec) + b_enc ∈ R^n (without the − b_dec when
 * {@link #applyBDecToInput()} is false), then f = ReLU(z) ({@link Architecture#RELU}), ReLU(TopK_k(z))
 * ({@link Architecture#TOPK}; ties go to the lower latent index) or ReLU(z) ⊙ 1[z &gt; θ]
 * ({@link Architecture#JUMPRELU}, SAELens' and Gemma Scope's definition), and x̂ = W_decᵀ f + b_dec.
 *
 * <p><b>JumpReLU thresholds.</b> ReLU(z)·1[z &gt; θ] = z·1[z &gt; max(θ, 0)] for every θ, so the builder stores
 * θ' = max(θ, 0) and the encoders compute z·1[z &gt; θ']. This is the one place where a negative θ (which
 * released checkpoints do contain) is handled: every loader passes θ as stored, and {@link #threshold()} returns
 * θ'; the two definitions differ only for θ &lt; 0, where z·1[z &gt; θ] would give negative codes.
 *
 * <p>A <b>transcoder</b> ({@link #isTranscoder()}) reads x ∈ R^d_in at one hook ({@code metadata().hookName()}) and
 * predicts y ∈ R^d_out at another ({@link #outputHook()}): z = W_encᵀx + b_enc (never centred:
 * {@link #applyBDecToInput()} is false), ŷ = W_decᵀ f + b_dec + W_skip x, with W_dec [n, d_out], b_dec [d_out] and
 * the optional linear skip W_skip [d_out, d_in] (SAELens' SkipTranscoder layout). For an SAE d_out = d_in.
 *
 * <p>Storage: the encoder is held as its rows {@code encoderRows} [n, d] (= W_encᵀ, the layout of sparsify's
 * {@code encoder.weight}); {@link #wEnc()} returns the SAELens layout [d, n]. Decoder [n, d], b_enc [n],
 * b_dec [d], threshold [n] (JumpReLU only). Instances are immutable: the arrays passed to the builder are copied,
 * accessors return copies, and no method modifies its inputs. Methods taking {@code float[]} work in Java memory
 * (the encoder GEMM runs through DJL in a manager opened and closed by the call); {@link #reconstruct(NDArray)}
 * works on DJL arrays for splicing into a model. Thread-safe.
 */
public final class Sae {
    private final Architecture architecture;
    private final int dIn;
    private final int dSae;
    private final int dOut;
    private final boolean transcoder;
    private final String outputHook;
    private final float[] wSkip;
    private final int k;
    private final boolean applyBDecToInput;
    private final float[] encoderRows;
    private final float[] bEnc;
    private final float[] wDec;
    private final float[] bDec;
    private final float[] threshold;
    private final SaeMetadata metadata;
    private final JsonObject provenance;

    private Sae(Builder b) {
        this.architecture = b.architecture;
        this.dIn = b.dIn;
        this.dSae = b.dSae;
        this.transcoder = b.transcoder;
        this.dOut = b.transcoder ? b.dOut : b.dIn;
        this.outputHook = b.transcoder ? b.outputHook : "";
        this.wSkip = b.wSkip == null ? null : b.wSkip.clone();
        this.k = b.k;
        this.applyBDecToInput = b.applyBDecToInput;
        this.encoderRows = b.encoderRows.clone();
        this.bEnc = b.bEnc.clone();
        this.wDec = b.wDec.clone();
        this.bDec = b.bDec.clone();
        this.threshold = b.threshold == null ? null : b.threshold.clone();
        this.metadata = b.metadata;
        this.provenance = b.provenance == null ? new JsonObject() : b.provenance.deepCopy();
    }

    /**
     * A new, empty builder.
     *
     * @return a builder with no architecture, dims or weights set
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder pre-filled with this SAE's contents, to derive a modified copy.
     *
     * @return a builder holding this SAE's architecture, dims, weights, metadata and provenance; its arrays are copied
     *     again at {@link Builder#build()}
     */
    public Builder toBuilder() {
        return builder().setArchitecture(architecture).setDims(dIn, dSae).optK(k)
                .optApplyBDecToInput(applyBDecToInput).setEncoderRows(encoderRows).setBEnc(bEnc).setWDec(wDec)
                .setBDec(bDec).optThreshold(threshold).optMetadata(metadata).optProvenance(provenance)
                .optTranscoder(transcoder ? dOut : 0, outputHook).optWSkip(wSkip);
    }

    /**
     * The inference family: {@link Architecture#RELU}, {@link Architecture#TOPK} or {@link Architecture#JUMPRELU}.
     *
     * @return the family used at inference (never BATCHTOPK or MATRYOSHKA)
     */
    public Architecture architecture() {
        return architecture;
    }

    /**
     * Input width d.
     *
     * @return d_in, the width of each input row
     */
    public int dIn() {
        return dIn;
    }

    /**
     * Number of latents n.
     *
     * @return n (d_sae), the dictionary size
     */
    public int dSae() {
        return dSae;
    }

    /**
     * Output width: d_out of a transcoder, d_in of an SAE.
     *
     * @return d_out, equal to {@link #dIn()} for an SAE
     */
    public int dOut() {
        return dOut;
    }

    /**
     * Whether this maps one hook to another (see the class comment).
     *
     * @return true for a transcoder, false for an SAE
     */
    public boolean isTranscoder() {
        return transcoder;
    }

    /**
     * The hook a transcoder predicts (SAELens {@code hook_name_out}); empty for an SAE or when unknown.
     *
     * @return the output hook name, possibly empty
     */
    public String outputHook() {
        return outputHook;
    }

    /**
     * Whether a transcoder has the linear skip W_skip.
     *
     * @return true if W_skip is present
     */
    public boolean hasSkip() {
        return wSkip != null;
    }

    /**
     * W_skip [d_out, d_in] (copy), or null without a skip connection.
     *
     * @return a fresh copy of W_skip, row-major [d_out, d_in], or null
     */
    public float[] wSkip() {
        return wSkip == null ? null : wSkip.clone();
    }

    /**
     * k of a TopK SAE; 0 for other families.
     *
     * @return k, or 0 unless the architecture is TOPK
     */
    public int k() {
        return k;
    }

    /**
     * Whether b_dec is subtracted from x before encoding (SAELens {@code apply_b_dec_to_input}); always false for a
     * transcoder.
     *
     * @return true if the encoder sees x − b_dec
     */
    public boolean applyBDecToInput() {
        return applyBDecToInput;
    }

    /**
     * Encoder rows [n, d] = W_encᵀ (copy).
     *
     * @return a fresh copy, row-major [n, d_in]: row i is latent i's encoder direction
     */
    public float[] encoderRows() {
        return encoderRows.clone();
    }

    /**
     * W_enc [d, n] in the SAELens layout (a transposed copy).
     *
     * @return a new array, row-major [d_in, n]
     */
    public float[] wEnc() {
        float[] out = new float[dIn * dSae];
        for (int i = 0; i < dSae; i++) {
            for (int j = 0; j < dIn; j++) {
                out[j * dSae + i] = encoderRows[i * dIn + j];
            }
        }
        return out;
    }

    /**
     * b_enc [n] (copy).
     *
     * @return a fresh copy of the encoder bias, length n
     */
    public float[] bEnc() {
        return bEnc.clone();
    }

    /**
     * W_dec [n, d_out] (copy).
     *
     * @return a fresh copy, row-major [n, d_out]: row i is latent i's decoder direction
     */
    public float[] wDec() {
        return wDec.clone();
    }

    /**
     * b_dec [d_out] (copy).
     *
     * @return a fresh copy of the decoder bias, length d_out
     */
    public float[] bDec() {
        return bDec.clone();
    }

    /**
     * JumpReLU thresholds max(θ, 0) [n] (copy; see the class comment), or null for other families.
     *
     * @return a fresh copy of max(θ, 0), length n, or null unless the architecture is JUMPRELU
     */
    public float[] threshold() {
        return threshold == null ? null : threshold.clone();
    }

    /**
     * Where this SAE's inputs come from (model, hook point, context size).
     *
     * @return the metadata, {@link SaeMetadata#unknown()} when none was given
     */
    public SaeMetadata metadata() {
        return metadata;
    }

    /**
     * How this SAE was made (training config, seed, versions, platform); empty when unknown. A copy.
     *
     * @return a deep copy of the provenance object
     */
    public JsonObject provenance() {
        return provenance.deepCopy();
    }

    /**
     * Pre-activations z [rows, n] of x [rows, d] (row-major).
     *
     * @param x activations, row-major [rows, d_in] (extra trailing values are ignored); not modified
     * @param rows number of rows B to encode, ≥ 0
     * @return a new array z = W_encᵀ(x − b_dec) + b_enc, row-major [rows, n] (x itself when b_dec is not applied)
     * @throws IllegalArgumentException if {@code x} is shorter than rows·d
     */
    public float[] preActivations(float[] x, int rows) {
        checkRows(x, rows);
        float[] xc = centred(x, rows);
        Interp.configureDjl();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xs = m.create(FloatBuffer.wrap(xc, 0, rows * dIn), new Shape(rows, dIn));
            NDArray enc = m.create(FloatBuffer.wrap(encoderRows), new Shape(dSae, dIn));
            NDArray z = xs.matMul(enc.transpose()).add(m.create(bEnc));
            return z.toFloatArray();
        }
    }

    /**
     * Codes of x [rows, d] in sparse form (see the class comment for the activation of each family).
     *
     * @param x activations, row-major [rows, d_in]; not modified
     * @param rows number of rows B to encode
     * @return the codes f: k entries per row for TopK (zero where the pre-activation was not positive), only the firing
     *     latents for ReLU and JumpReLU
     */
    public SparseCodes encode(float[] x, int rows) {
        int[] start = new int[rows + 1];
        if (architecture == Architecture.TOPK) {
            // selection in libtorch: only the k winners per row come back to Java, never the [rows, n] matrix
            checkRows(x, rows);
            float[] xc = centred(x, rows);
            int kk = Math.min(k, dSae);
            float[] val;
            long[] sel;
            Interp.configureDjl();
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray xs = m.create(FloatBuffer.wrap(xc, 0, rows * dIn), new Shape(rows, dIn));
                NDArray enc = m.create(FloatBuffer.wrap(encoderRows), new Shape(dSae, dIn));
                NDList top = xs.matMul(enc.transpose()).add(m.create(bEnc)).topK(kk, 1, true, true);
                val = top.get(0).toFloatArray();
                sel = top.get(1).toLongArray();
            }
            int[] idx = new int[sel.length];
            for (int e = 0; e < val.length; e++) {
                idx[e] = (int) sel[e];
                val[e] = Math.max(0f, val[e]);
            }
            for (int b = 0; b <= rows; b++) {
                start[b] = b * kk;
            }
            return new SparseCodes(rows, dSae, start, idx, val);
        }
        float[] z = preActivations(x, rows);
        int nnz = 0;
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < dSae; i++) {
                if (fires(z[b * dSae + i], i)) {
                    nnz++;
                }
            }
            start[b + 1] = nnz;
        }
        int[] idx = new int[nnz];
        float[] val = new float[nnz];
        int e = 0;
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < dSae; i++) {
                float v = z[b * dSae + i];
                if (fires(v, i)) {
                    idx[e] = i;
                    val[e++] = v;
                }
            }
        }
        return new SparseCodes(rows, dSae, start, idx, val);
    }

    private boolean fires(float z, int latent) {
        return architecture == Architecture.JUMPRELU ? z > threshold[latent] : z > 0f;
    }

    /**
     * Dense codes f [rows, n] of x [rows, d].
     *
     * @param x activations, row-major [rows, d_in]; not modified
     * @param rows number of rows B to encode
     * @return a new array f, row-major [rows, n], zero for latents that do not fire
     */
    public float[] encodeDense(float[] x, int rows) {
        return encode(x, rows).toDense();
    }

    /**
     * Decoder output [rows, d_out] = W_decᵀ f + b_dec from sparse codes (for a skip transcoder without the skip
     * term, which needs the input: see {@link #reconstruct(float[], int)}).
     *
     * @param codes sparse codes of width n; not modified
     * @return a new array, row-major [rows, d_out]
     * @throws IllegalArgumentException if the codes' width is not n
     */
    public float[] decode(SparseCodes codes) {
        if (codes.width() != dSae) {
            throw new IllegalArgumentException("codes have width " + codes.width() + " but the SAE has " + dSae
                    + " latents");
        }
        int rows = codes.rows();
        float[] out = new float[rows * dOut];
        int[] start = codes.rowStart();
        int[] idx = codes.index();
        float[] val = codes.value();
        Parallel.forChunks(rows, 64, (c, from, to) -> {
            for (int b = from; b < to; b++) {
                int o = b * dOut;
                System.arraycopy(bDec, 0, out, o, dOut);
                for (int e = start[b]; e < start[b + 1]; e++) {
                    float v = val[e];
                    if (v != 0f) {
                        int w = idx[e] * dOut;
                        for (int j = 0; j < dOut; j++) {
                            out[o + j] += v * wDec[w + j];
                        }
                    }
                }
            }
        });
        return out;
    }

    /**
     * x̂ [rows, d_out] of x [rows, d_in] (a transcoder's ŷ, with the skip term).
     *
     * @param x input activations, row-major [rows, d_in]; not modified
     * @param rows number of rows B
     * @return a new array x̂ (or ŷ), row-major [rows, d_out]
     */
    public float[] reconstruct(float[] x, int rows) {
        float[] out = decode(encode(x, rows));
        addSkip(x, rows, out);
        return out;
    }

    /**
     * out [rows, d_out] += x·W_skipᵀ for x [rows, d_in] (dot products in double); nothing without a skip
     * connection. Modifies {@code out} only.
     *
     * @param x input activations, row-major [rows, d_in]; not modified
     * @param rows number of rows B
     * @param out decoder outputs, row-major [rows, d_out]; the skip term is added in place
     */
    public void addSkip(float[] x, int rows, float[] out) {
        if (wSkip != null) {
            Parallel.forChunks(rows, 64, (c, from, to) -> {
                for (int b = from; b < to; b++) {
                    for (int o = 0; o < dOut; o++) {
                        double s = 0;
                        for (int j = 0; j < dIn; j++) {
                            s += (double) wSkip[o * dIn + j] * x[b * dIn + j];
                        }
                        out[b * dOut + o] += (float) s;
                    }
                }
            });
        }
    }

    /**
     * x̂ of x [..., d] computed with DJL (dense codes), for splicing at a hook point. Ties at the k-th TopK value
     * keep every tied latent (the dense formulation cannot break ties; with continuous data they do not occur).
     *
     * @param x activations, last dimension d_in; not modified
     * @return x̂ (a transcoder's ŷ, with the skip term), the shape of x with last dimension d_out, owned by
     *     {@code x}'s manager
     */
    public NDArray reconstruct(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() < 1 || shape.get(shape.dimension() - 1) != dIn) {
            throw new IllegalArgumentException("SAE expects activations with last dimension " + dIn + ", got shape "
                    + shape);
        }
        NDManager owner = x.getManager();
        try (NDManager m = owner.newSubManager()) {
            // a private copy in m, so that every intermediate (attached to its first operand) is freed with m
            NDArray flat = x.toType(DataType.FLOAT32, true);
            flat.attach(m);
            flat = flat.reshape(-1, dIn);
            NDArray dec = m.create(FloatBuffer.wrap(wDec), new Shape(dSae, dOut));
            NDArray enc = m.create(FloatBuffer.wrap(encoderRows), new Shape(dSae, dIn));
            NDArray bd = m.create(bDec);
            NDArray in = applyBDecToInput ? flat.sub(bd) : flat;
            NDArray z = in.matMul(enc.transpose()).add(m.create(bEnc));
            NDArray f;
            if (architecture == Architecture.TOPK) {
                NDList top = z.topK(Math.min(k, dSae), -1, true, true);
                NDArray kth = top.get(0).get(":, -1:");
                f = z.gte(kth).toType(DataType.FLOAT32, false).mul(z.maximum(0f));
            } else if (architecture == Architecture.JUMPRELU) {
                f = z.gt(m.create(threshold)).toType(DataType.FLOAT32, false).mul(z);
            } else {
                f = z.maximum(0f);
            }
            NDArray yhat = f.matMul(dec).add(bd);
            if (wSkip != null) {
                yhat = yhat.add(flat.matMul(m.create(FloatBuffer.wrap(wSkip), new Shape(dOut, dIn)).transpose()));
            }
            long[] outShape = shape.getShape();
            outShape[outShape.length - 1] = dOut;
            NDArray out = yhat.reshape(new Shape(outShape)).toType(x.getDataType(), false);
            out.attach(owner);
            return out;
        }
    }

    /**
     * The SAE that, applied to raw activations x, gives the codes this SAE gives on s·x and the reconstruction
     * x̂/s: W_enc ← s·W_enc, W_dec ← W_dec/s, b_dec ← b_dec/s (b_enc and θ unchanged). Used to fold the training
     * input normalisation into the saved weights.
     *
     * @param s the input scale factor used in training (finite, &gt; 0)
     * @return a new SAE with the scale folded into W_enc, W_dec and b_dec; this SAE is unchanged
     * @throws IllegalArgumentException if {@code s} is not finite and &gt; 0
     */
    public Sae foldInputScale(double s) {
        return foldScales(s, s);
    }

    /**
     * The transcoder that, on raw x, gives the codes this one gives on sIn·x and the output ŷ/sOut (it was trained
     * to predict sOut·y): W_enc ← sIn·W_enc, W_dec ← W_dec/sOut, b_dec ← b_dec/sOut, W_skip ← W_skip·sIn/sOut.
     *
     * @param sIn input scale: the codes of x equal the trained codes of sIn·x (finite, &gt; 0)
     * @param sOut output scale: the transcoder was trained to predict sOut·y (finite, &gt; 0)
     * @return a new SAE or transcoder with both scales folded into its weights; this one is unchanged
     * @throws IllegalArgumentException if either scale is not finite and &gt; 0
     */
    public Sae foldScales(double sIn, double sOut) {
        for (double s : new double[] {sIn, sOut}) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("scale must be finite and > 0, got " + s);
            }
        }
        float[] enc = encoderRows.clone();
        float[] dec = wDec.clone();
        float[] bd = bDec.clone();
        for (int i = 0; i < enc.length; i++) {
            enc[i] = (float) (enc[i] * sIn);
        }
        for (int i = 0; i < dec.length; i++) {
            dec[i] = (float) (dec[i] / sOut);
        }
        for (int j = 0; j < bd.length; j++) {
            bd[j] = (float) (bd[j] / sOut);
        }
        float[] skip = wSkip == null ? null : wSkip.clone();
        if (skip != null) {
            double f = sIn / sOut;
            for (int i = 0; i < skip.length; i++) {
                skip[i] = (float) (skip[i] * f);
            }
        }
        return toBuilder().setEncoderRows(enc).setWDec(dec).setBDec(bd).optWSkip(skip).build();
    }

    private float[] centred(float[] x, int rows) {
        float[] xc = Arrays.copyOf(x, rows * dIn);
        if (applyBDecToInput) {
            for (int b = 0; b < rows; b++) {
                for (int j = 0; j < dIn; j++) {
                    xc[b * dIn + j] -= bDec[j];
                }
            }
        }
        return xc;
    }

    private void checkRows(float[] x, int rows) {
        if (rows < 0 || (long) rows * dIn > x.length) {
            throw new IllegalArgumentException("input has " + x.length + " values, fewer than rows·d = " + rows
                    + "·" + dIn);
        }
    }

    @Override
    public String toString() {
        return (transcoder ? "Transcoder[" : "Sae[") + architecture.cliName() + ", d_in=" + dIn
                + (transcoder ? ", d_out=" + dOut + (wSkip != null ? ", skip" : "") : "") + ", d_sae=" + dSae
                + (architecture == Architecture.TOPK ? ", k=" + k : "") + ", hook=" + metadata.hookName()
                + (transcoder ? " -> " + outputHook : "") + "]";
    }

    /**
     * Builds an {@link Sae}. Required: architecture, dims, encoder rows, b_enc, W_dec, b_dec; k for TopK;
     * threshold for JumpReLU. {@link #build()} checks every array length against the dims.
     */
    public static final class Builder {
        private Architecture architecture;
        private int dIn = -1;
        private int dSae = -1;
        private int dOut = -1;
        private boolean transcoder;
        private String outputHook = "";
        private float[] wSkip;
        private int k;
        private boolean applyBDecToInput = true;
        private float[] encoderRows;
        private float[] bEnc;
        private float[] wDec;
        private float[] bDec;
        private float[] threshold;
        private SaeMetadata metadata = SaeMetadata.unknown();
        private JsonObject provenance;

        private Builder() {}

        /**
         * {@link Architecture#RELU}, {@link Architecture#TOPK} or {@link Architecture#JUMPRELU}.
         *
         * @param a the family; BATCHTOPK is rejected at {@link #build()} (save it as JUMPRELU)
         * @return this builder
         * @throws NullPointerException if {@code a} is null
         */
        public Builder setArchitecture(Architecture a) {
            this.architecture = Objects.requireNonNull(a, "architecture");
            return this;
        }

        /**
         * Sets the input width and the number of latents; both are checked (≥ 1) at {@link #build()}.
         *
         * @param dIn input width d_in
         * @param dSae number of latents n
         * @return this builder
         */
        public Builder setDims(int dIn, int dSae) {
            this.dIn = dIn;
            this.dSae = dSae;
            return this;
        }

        /**
         * Makes this a transcoder predicting the {@code dOut}-wide activation at {@code outputHook} (may be empty when
         * unknown); also sets {@code apply_b_dec_to_input} false. {@code dOut = 0} makes it an SAE again.
         *
         * @param dOut output width d_out, or 0 for an SAE
         * @param outputHook hook name the transcoder predicts, or empty
         * @return this builder
         */
        public Builder optTranscoder(int dOut, String outputHook) {
            this.transcoder = dOut > 0;
            this.dOut = dOut;
            this.outputHook = Objects.requireNonNull(outputHook, "outputHook");
            if (transcoder) {
                applyBDecToInput = false;
            }
            return this;
        }

        /**
         * W_skip [d_out, d_in] of a skip transcoder (copied at build); null for none.
         *
         * @param v W_skip, row-major [d_out, d_in], or null; not copied until build, so do not modify it meanwhile
         * @return this builder
         */
        public Builder optWSkip(float[] v) {
            this.wSkip = v;
            return this;
        }

        /**
         * Sets k of a TopK SAE (checked 1 ≤ k ≤ n at build; reset to 0 for other families).
         *
         * @param k number of latents kept per token
         * @return this builder
         */
        public Builder optK(int k) {
            this.k = k;
            return this;
        }

        /**
         * Sets whether b_dec is subtracted from the input before encoding (default true; must be false for a
         * transcoder).
         *
         * @param v SAELens {@code apply_b_dec_to_input}
         * @return this builder
         */
        public Builder optApplyBDecToInput(boolean v) {
            this.applyBDecToInput = v;
            return this;
        }

        /**
         * Encoder rows [n, d] = W_encᵀ (copied at build).
         *
         * @param v encoder rows, row-major [n, d_in]; not modified
         * @return this builder
         */
        public Builder setEncoderRows(float[] v) {
            this.encoderRows = v;
            return this;
        }

        /**
         * W_enc [d, n] in the SAELens layout (transposed into encoder rows now).
         *
         * @param wEnc W_enc, row-major [d_in, n]; not modified
         * @param dIn input width d_in
         * @param dSae number of latents n
         * @return this builder
         * @throws IllegalArgumentException if {@code wEnc} does not hold d_in·n values
         */
        public Builder setWEnc(float[] wEnc, int dIn, int dSae) {
            if (wEnc.length != dIn * dSae) {
                throw new IllegalArgumentException("W_enc has " + wEnc.length + " values, expected d_in·d_sae = "
                        + dIn + "·" + dSae);
            }
            float[] rows = new float[wEnc.length];
            for (int j = 0; j < dIn; j++) {
                for (int i = 0; i < dSae; i++) {
                    rows[i * dIn + j] = wEnc[j * dSae + i];
                }
            }
            this.encoderRows = rows;
            return this;
        }

        /**
         * Sets the encoder bias b_enc [n] (copied at build).
         *
         * @param v b_enc, length n; not modified
         * @return this builder
         */
        public Builder setBEnc(float[] v) {
            this.bEnc = v;
            return this;
        }

        /**
         * Sets the decoder W_dec [n, d_out] (copied at build).
         *
         * @param v W_dec, row-major [n, d_out]; not modified
         * @return this builder
         */
        public Builder setWDec(float[] v) {
            this.wDec = v;
            return this;
        }

        /**
         * Sets the decoder bias b_dec [d_out] (copied at build).
         *
         * @param v b_dec, length d_out; not modified
         * @return this builder
         */
        public Builder setBDec(float[] v) {
            this.bDec = v;
            return this;
        }

        /**
         * JumpReLU thresholds θ [n] as stored in a checkpoint (not modified); the built SAE holds max(θ, 0), see
         * the class comment. Ignored (dropped) for other families.
         *
         * @param v θ, length n, or null for non-JumpReLU families; not modified
         * @return this builder
         */
        public Builder optThreshold(float[] v) {
            this.threshold = v;
            return this;
        }

        /**
         * Sets where the SAE's inputs come from (default {@link SaeMetadata#unknown()}).
         *
         * @param m the metadata, not null
         * @return this builder
         * @throws NullPointerException if {@code m} is null
         */
        public Builder optMetadata(SaeMetadata m) {
            this.metadata = Objects.requireNonNull(m, "metadata");
            return this;
        }

        /**
         * Sets how the SAE was made (training config, seed, versions); deep-copied at build.
         *
         * @param p the provenance object, or null for none (an empty object)
         * @return this builder
         */
        public Builder optProvenance(JsonObject p) {
            this.provenance = p;
            return this;
        }

        /**
         * @return a new SAE holding copies of every array
         * @throws IllegalArgumentException naming the first missing or misshapen piece
         */
        public Sae build() {
            if (architecture == null) {
                throw new IllegalArgumentException("architecture is required");
            }
            if (architecture == Architecture.BATCHTOPK) {
                throw new IllegalArgumentException("a BatchTopK SAE is saved and used as a JumpReLU SAE with its "
                        + "learned global threshold; build it with Architecture.JUMPRELU");
            }
            if (dIn < 1 || dSae < 1) {
                throw new IllegalArgumentException("dims must be >= 1, got d_in=" + dIn + ", d_sae=" + dSae);
            }
            if (architecture == Architecture.TOPK && (k < 1 || k > dSae)) {
                throw new IllegalArgumentException("TopK SAE needs 1 <= k <= d_sae=" + dSae + ", got k=" + k);
            }
            if (architecture != Architecture.TOPK) {
                k = 0;
            }
            int out = transcoder ? dOut : dIn;
            if (transcoder && applyBDecToInput) {
                throw new IllegalArgumentException("a transcoder's b_dec lives in the output space: "
                        + "apply_b_dec_to_input must be false");
            }
            if (wSkip != null && !transcoder) {
                throw new IllegalArgumentException("W_skip applies to transcoders only");
            }
            check("encoder rows (W_enc)", encoderRows, (long) dSae * dIn);
            check("b_enc", bEnc, dSae);
            check("W_dec", wDec, (long) dSae * out);
            check("b_dec", bDec, out);
            if (wSkip != null) {
                check("W_skip", wSkip, (long) out * dIn);
            }
            if (architecture == Architecture.JUMPRELU) {
                check("threshold", threshold, dSae);
                float[] clamped = new float[dSae];
                for (int i = 0; i < dSae; i++) {
                    clamped[i] = Math.max(threshold[i], 0f); // ReLU(z)·1[z > θ] = z·1[z > max(θ, 0)]
                }
                threshold = clamped;
            } else {
                threshold = null;
            }
            return new Sae(this);
        }

        private static void check(String name, float[] v, long expected) {
            if (v == null) {
                throw new IllegalArgumentException(name + " is required");
            }
            if (v.length != expected) {
                throw new IllegalArgumentException(name + " has " + v.length + " values, expected " + expected);
            }
        }
    }
}
