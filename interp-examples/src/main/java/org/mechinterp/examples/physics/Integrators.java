package org.mechinterp.examples.physics;

/**
 * Fixed-step integrators used by the built-in systems. Both work in place on caller-owned arrays and allocate
 * nothing per step.
 */
final class Integrators {

    private Integrators() {
    }

    /** Accelerations {@code a = -M^{-1} grad V(q)} of a separable Hamiltonian with constant diagonal mass. */
    interface Acceleration {
        void apply(double[] q, double[] a);
    }

    /** Autonomous first-order system {@code dy/dt = f(y)}. */
    interface Ode {
        void apply(double[] y, double[] dydt);
    }

    /**
     * {@code n} steps of velocity Verlet (kick–drift–kick leapfrog), symplectic and time-reversible: for a
     * separable Hamiltonian the energy error stays bounded, of order {@code h^2}, with no secular drift.
     *
     * @param q positions, updated
     * @param v velocities, updated
     * @param a on entry the accelerations at {@code q}; on exit those at the new {@code q}
     */
    static void verlet(double[] q, double[] v, double[] a, double h, int n, Acceleration f) {
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < q.length; i++) {
                v[i] += 0.5 * h * a[i];
                q[i] += h * v[i];
            }
            f.apply(q, a);
            for (int i = 0; i < q.length; i++) {
                v[i] += 0.5 * h * a[i];
            }
        }
    }

    /** Scratch space for {@link #rk4}, sized for one system dimension. */
    static final class Rk4Work {
        final double[] k1;
        final double[] k2;
        final double[] k3;
        final double[] k4;
        final double[] tmp;

        Rk4Work(int dim) {
            k1 = new double[dim];
            k2 = new double[dim];
            k3 = new double[dim];
            k4 = new double[dim];
            tmp = new double[dim];
        }
    }

    /** {@code n} classical fourth-order Runge–Kutta steps of size {@code h}, updating {@code y} in place. */
    static void rk4(double[] y, double h, int n, Ode f, Rk4Work w) {
        int d = y.length;
        for (int s = 0; s < n; s++) {
            f.apply(y, w.k1);
            for (int i = 0; i < d; i++) {
                w.tmp[i] = y[i] + 0.5 * h * w.k1[i];
            }
            f.apply(w.tmp, w.k2);
            for (int i = 0; i < d; i++) {
                w.tmp[i] = y[i] + 0.5 * h * w.k2[i];
            }
            f.apply(w.tmp, w.k3);
            for (int i = 0; i < d; i++) {
                w.tmp[i] = y[i] + h * w.k3[i];
            }
            f.apply(w.tmp, w.k4);
            for (int i = 0; i < d; i++) {
                y[i] += h / 6 * (w.k1[i] + 2 * w.k2[i] + 2 * w.k3[i] + w.k4[i]);
            }
        }
    }
}
