package org.mechinterp.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class StrictJsonTest {
    @Test
    void nonFiniteNumbersBecomeNullAtAnyDepthAndTheRestIsKept() {
        JsonObject o = new JsonObject();
        o.addProperty("nan", Double.NaN);
        o.addProperty("x", 1.5);
        o.addProperty("s", "NaN");
        JsonArray a = new JsonArray();
        a.add(Double.POSITIVE_INFINITY);
        a.add(Float.NEGATIVE_INFINITY);
        a.add(2);
        JsonObject inner = new JsonObject();
        inner.add("a", a);
        inner.addProperty("b", true);
        o.add("inner", inner);
        String json = StrictJson.toJson(o);
        assertEquals("{\"nan\":null,\"x\":1.5,\"s\":\"NaN\",\"inner\":{\"a\":[null,null,2],\"b\":true}}", json);
        // a strict parser accepts it (Gson's JsonParser is lenient, so check no bare token survived instead)
        assertEquals(json, StrictJson.toJson(JsonParser.parseString(json)));
        assertEquals(Double.NaN, o.get("nan").getAsDouble(), "input not modified");
    }
}
