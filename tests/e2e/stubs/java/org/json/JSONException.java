// Mirrors org.json.JSONException (Android API 35).
package org.json;

public class JSONException extends Exception {
    public JSONException(String s) { super(s); }
}
