// Mirrors org.json.JSONArray as shipped in Android (API 35): JSONArray(String) throws JSONException,
// JSONArray(Collection), length(), getString(int), getDouble(int), getLong(int),
// getJSONObject(int) throw JSONException.
package org.json;

public class JSONArray {
    public JSONArray(String json) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONArray(java.util.Collection<?> copyFrom) { throw new RuntimeException("Stub!"); }
    public int length() { throw new RuntimeException("Stub!"); }
    public String getString(int index) throws JSONException { throw new RuntimeException("Stub!"); }
    public double getDouble(int index) throws JSONException { throw new RuntimeException("Stub!"); }
    public long getLong(int index) throws JSONException { throw new RuntimeException("Stub!"); }
    public JSONObject getJSONObject(int index) throws JSONException { throw new RuntimeException("Stub!"); }
}
