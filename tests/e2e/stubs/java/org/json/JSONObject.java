// Mirrors org.json.JSONObject as shipped in Android (API 35): JSONObject(), JSONObject(String),
// getInt(String), getString(String), getJSONArray(String), optJSONArray(String), optJSONObject(String), optString(String, String),
// optDouble(String, double), put(String, Object|int|double), toString().
// put(String, double) throws JSONException for NaN and infinities ("Forbidden numeric value"),
// as Android's JSON.checkDouble does; so does toString() of such a value put as an Object
// (JSONStringer), where JSONObject.toString() then returns null.
package org.json;

public class JSONObject {
    public JSONObject() { throw new RuntimeException("Stub!"); }
    public JSONObject(String json) throws JSONException { throw new RuntimeException("Stub!"); }
    public int getInt(String name) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONArray getJSONArray(String name) throws JSONException { throw new RuntimeException("Stub!"); }
    public String getString(String name) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONArray optJSONArray(String name) { throw new RuntimeException("Stub!"); }
    public JSONObject optJSONObject(String name) { throw new RuntimeException("Stub!"); }
    public String optString(String name, String fallback) { throw new RuntimeException("Stub!"); }
    public double optDouble(String name, double fallback) { throw new RuntimeException("Stub!"); }
    public JSONObject put(String name, int value) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONObject put(String name, double value) throws JSONException {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new JSONException("Forbidden numeric value: " + value);
        }
        throw new RuntimeException("Stub!");
    }
    public JSONObject put(String name, Object value) throws JSONException { throw new RuntimeException("Stub!"); }
    @Override public String toString() { throw new RuntimeException("Stub!"); }
}
