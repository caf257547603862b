package org.mechinterp.sae.train;

/**
 * The trainable tensors of an SAE as plain float arrays (or their gradients / Adam moments, same layout):
 * {@code encT} [n, d] (encoder rows, = W_encᵀ), {@code bEnc} [n], {@code wDec} [n, d], {@code bDec} [d] and
 * {@code logThreshold} [n] (log θ of a JumpReLU; length 0 for other families).
 *
 * <p>The arrays are owned by this object and modified in place by the trainer; they are exposed directly for
 * the kernels. Not thread-safe.
 */
public final class SaeParameters {
    private final int dIn;
    private final int dSae;
    public final float[] encT;
    public final float[] bEnc;
    public final float[] wDec;
    public final float[] bDec;
    public final float[] logThreshold;

    /** Zero-filled tensors for width d, n latents, with or without the threshold. */
    public SaeParameters(int dIn, int dSae, boolean withThreshold) {
        this.dIn = dIn;
        this.dSae = dSae;
        long nd = (long) dIn * dSae;
        if (nd > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("d_in·d_sae = " + nd + " exceeds the 2^31 element limit of one array");
        }
        encT = new float[(int) nd];
        bEnc = new float[dSae];
        wDec = new float[(int) nd];
        bDec = new float[dIn];
        logThreshold = new float[withThreshold ? dSae : 0];
    }

    public int dIn() {
        return dIn;
    }

    public int dSae() {
        return dSae;
    }

    /** The arrays in a fixed order (encT, bEnc, wDec, bDec, logThreshold), for loops over all of them. */
    public float[][] arrays() {
        return new float[][] {encT, bEnc, wDec, bDec, logThreshold};
    }

    /** Names matching {@link #arrays()}, used as checkpoint keys. */
    public static String[] names() {
        return new String[] {"encoder_rows", "b_enc", "W_dec", "b_dec", "log_threshold"};
    }

    /** A zero-filled tensor set of the same shape. */
    public SaeParameters zerosLike() {
        return new SaeParameters(dIn, dSae, logThreshold.length > 0);
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
