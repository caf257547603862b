package org.mechinterp.core.train;

import java.util.Map;

/**
 * Cross-entropy on the held-out sequences after a step.
 *
 * @param step the number of completed steps
 * @param loss mean nats per counted target, all groups together
 * @param groupLoss mean nats per target of each group (groups with no target are absent), in group order
 * @param groupCount number of counted targets per group
 */
public record EvalResult(int step, double loss, Map<String, Double> groupLoss, Map<String, Long> groupCount) {}
