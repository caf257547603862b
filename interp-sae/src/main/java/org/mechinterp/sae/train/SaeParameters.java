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
    public final float[] encT;
    public final float[] bEnc;
    public final float[] wDec;
    public final float[] bDec;
    public final float[] logThreshold;
    public final float[] wSkip;

    /** Zero-filled tensors of an SAE of width d, n latents, with or without the threshold. */
    public SaeParameters(int dIn, int dSae, boolean withThreshold) {
        this(dIn, dIn, dSae, withThreshold, false);
    }

    /** Zero-filled tensors of a transcoder d_in → d_out with n latents (an SAE when d_out = d_in, no skip). */
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

    public int dIn() {
        return dIn;
    }

    /** Output width (= d_in for an SAE). */
    public int dOut() {
        return dOut;
    }

    public int dSae() {
        return dSae;
    }

    /** The arrays in a fixed order (encT, bEnc, wDec, bDec, logThreshold, wSkip), for loops over all of them. */
    public float[][] arrays() {
        return new float[][] {encT, bEnc, wDec, bDec, logThreshold, wSkip};
    }

    /** Names matching {@link #arrays()}, used as checkpoint keys. */
    public static String[] names() {
        return new String[] {"encoder_rows", "b_enc", "W_dec", "b_dec", "log_threshold", "W_skip"};
    }

    /** A zero-filled tensor set of the same shape. */
    public SaeParameters zerosLike() {
        return new SaeParameters(dIn, dOut, dSae, logThreshold.length > 0, wSkip.length > 0);
    }

    /** A deep copy. */
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
