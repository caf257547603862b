package org.mechinterp.sae.train;

/**
 * The trainable tensors of an SAE or transcoder as plain float arrays (or their gradients / Adam moments, same
 * layout): {@code encT} [n, d_in] (encoder rows, = W_encᵀ), {@code bEnc} [n], {@code wDec} [n, d_out],
 * {@code bDec} [d_out], {@code logThreshold} [n] (log θ of a JumpReLU; length 0 for other families) and
 * {@code wSkip} [d_out, d_in] (the linear skip of a skip transcoder, SAELens layout; length 0 otherwise). For an SAE
 * d_out = d_in.
 *
 * <p>The arrays are owned by this object and modified in place by the trainer; they are exposed directly for
 * the kernels. Not thread-safe.
 */
public final class SaeParameters {
    private final int dIn;
    private final int dOut;
    private final int dSae;
    /** Encoder rows [n, d_in] (= W_encᵀ), row-major; modified in place by training. */
    public final float[] encT;
    /** Encoder bias b_enc [n]. */
    public final float[] bEnc;
    /** Decoder W_dec [n, d_out], row-major; row i is latent i's direction. */
    public final float[] wDec;
    /** Decoder bias b_dec [d_out]. */
    public final float[] bDec;
    /** log θ [n] of a JumpReLU; length 0 for other families. */
    public final float[] logThreshold;
    /** Skip weights W_skip [d_out, d_in], row-major; length 0 without a skip connection. */
    public final float[] wSkip;

    /**
     * Zero-filled tensors of an SAE of width d, n latents, with or without the threshold.
     *
     * @param dIn input (and output) width d
     * @param dSae number of latents n
     * @param withThreshold whether to allocate log θ [n]
     */
    public SaeParameters(int dIn, int dSae, boolean withThreshold) {
        this(dIn, dIn, dSae, withThreshold, false);
    }

    /**
     * Zero-filled tensors of a transcoder d_in → d_out with n latents (an SAE when d_out = d_in, no skip).
     *
     * @param dIn input width d_in
     * @param dOut output width d_out
     * @param dSae number of latents n
     * @param withThreshold whether to allocate log θ [n]
     * @param withSkip whether to allocate W_skip [d_out, d_in]
     */
    public SaeParameters(int dIn, int dOut, int dSae, boolean withThreshold, boolean withSkip) {
        this.dIn = dIn;
        this.dOut = dOut;
        this.dSae = dSae;
        long nd = (long) Math.max(dIn, dOut) * dSae;
        long skip = withSkip ? (long) dIn * dOut : 0;
        if (nd > Integer.MAX_VALUE - 8 || skip > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("d·d_sae = " + nd + " exceeds the 2^31 element limit of one array");
        }
        encT = new float[dIn * dSae];
        bEnc = new float[dSae];
        wDec = new float[dOut * dSae];
        bDec = new float[dOut];
        logThreshold = new float[withThreshold ? dSae : 0];
        wSkip = new float[(int) skip];
    }

    /**
     * Input width.
     *
     * @return d_in
     */
    public int dIn() {
        return dIn;
    }

    /**
     * Output width (= d_in for an SAE).
     *
     * @return d_out
     */
    public int dOut() {
        return dOut;
    }

    /**
     * Number of latents.
     *
     * @return n
     */
    public int dSae() {
        return dSae;
    }

    /**
     * The arrays in a fixed order (encT, bEnc, wDec, bDec, logThreshold, wSkip), for loops over all of them.
     *
     * @return a new array of the six held arrays (not copies; absent ones have length 0)
     */
    public float[][] arrays() {
        return new float[][] {encT, bEnc, wDec, bDec, logThreshold, wSkip};
    }

    /**
     * Names matching {@link #arrays()}, used as checkpoint keys.
     *
     * @return a new array of six checkpoint key names, in the order of {@link #arrays()}
     */
    public static String[] names() {
        return new String[] {"encoder_rows", "b_enc", "W_dec", "b_dec", "log_threshold", "W_skip"};
    }

    /**
     * A zero-filled tensor set of the same shape.
     *
     * @return new zero-filled parameters with the same widths, threshold and skip
     */
    public SaeParameters zerosLike() {
        return new SaeParameters(dIn, dOut, dSae, logThreshold.length > 0, wSkip.length > 0);
    }

    /**
     * A deep copy.
     *
     * @return new parameters holding copies of every array
     */
    public SaeParameters copy() {
        SaeParameters c = zerosLike();
        float[][] src = arrays();
        float[][] dst = c.arrays();
        for (int i = 0; i < src.length; i++) {
            System.arraycopy(src[i], 0, dst[i], 0, src[i].length);
        }
        return c;
    }
}
