// Mirrors android.widget.Button (API 35): a TextView.
package android.widget;

public class Button extends TextView {
}
