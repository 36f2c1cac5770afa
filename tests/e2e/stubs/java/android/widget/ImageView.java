// Mirrors android.widget.ImageView (API 35): setImageBitmap(Bitmap).
package android.widget;

public class ImageView extends android.view.View {
    public void setImageBitmap(android.graphics.Bitmap bm) { throw new RuntimeException("Stub!"); }
}
