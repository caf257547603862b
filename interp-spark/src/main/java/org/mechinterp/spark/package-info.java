/**
 * Activation capture ({@link org.mechinterp.spark.CaptureJob}) and SAE feature statistics
 * ({@link org.mechinterp.spark.FeatureStatsJob}) on Apache Spark, writing the same activation store as the
 * single-machine capture.
 */
package org.mechinterp.spark;
