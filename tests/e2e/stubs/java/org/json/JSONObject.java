// Mirrors org.json.JSONObject as shipped in Android (API 35): JSONObject(), JSONObject(String),
// getInt(String), getJSONArray(String), put(String, Object|int|double), toString().
package org.json;

public class JSONObject {
    public JSONObject() { throw new RuntimeException("Stub!"); }
    public JSONObject(String json) throws JSONException { throw new RuntimeException("Stub!"); }
    public int getInt(String name) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONArray getJSONArray(String name) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONObject put(String name, int value) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONObject put(String name, double value) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONObject put(String name, Object value) throws JSONException { throw new RuntimeException("Stub!"); }
    @Override public String toString() { throw new RuntimeException("Stub!"); }
}
