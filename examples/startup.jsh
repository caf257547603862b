// Imports for `./interp shell` and the examples/*.jsh scripts (loaded after JShell's DEFAULT startup).
// The java.* imports repeat DEFAULT's so that a script also runs with only this file as its startup.
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import org.mechinterp.core.Interp;
import org.mechinterp.core.model.*;
import org.mechinterp.core.generate.*;
import org.mechinterp.core.hooks.*;
import org.mechinterp.core.tokenizer.*;
import org.mechinterp.sae.store.*;
import org.mechinterp.sae.train.*;
import org.mechinterp.sae.model.*;
import org.mechinterp.sae.eval.*;
import org.mechinterp.sae.io.*;
import org.mechinterp.jacobian.*;
import org.mechinterp.jacobian.report.*;
import org.mechinterp.examples.*;
// single-type imports win over examples.*, whose EmbeddedModel/EmbeddedPhysicsModel are deprecated aliases
import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.models.EmbeddedPhysicsModel;
import org.mechinterp.examples.physics.*;
import org.mechinterp.examples.physics.prompt.*;
import org.mechinterp.examples.physics.model.*;
import org.mechinterp.examples.physics.study.*;

// Offline DJL, no telemetry (./interp shell also passes these as system properties).
Interp.useOfflineMode();
