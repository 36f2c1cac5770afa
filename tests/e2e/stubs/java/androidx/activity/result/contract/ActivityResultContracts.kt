// Mirrors androidx.activity.result.contract of androidx.activity:activity 1.10.1 (Kotlin sources):
// `abstract class ActivityResultContract<I, O>` (createIntent/parseResult omitted) and
// `class ActivityResultContracts private constructor()` with
//   `open class GetContent : ActivityResultContract<String, Uri?>()`,
//   `open class TakePicture : ActivityResultContract<Uri, Boolean>()` (true when the camera app
//     saved the picture into the given content Uri),
//   `open class TakePicturePreview : ActivityResultContract<Void?, Bitmap?>()` (a thumbnail),
//   `class RequestPermission : ActivityResultContract<String, Boolean>()` (final; the input is
//     the permission's name, the result whether it was granted).
package androidx.activity.result.contract

import android.graphics.Bitmap
import android.net.Uri

abstract class ActivityResultContract<I, O>

class ActivityResultContracts private constructor() {
    open class GetContent : ActivityResultContract<String, Uri?>()

    open class TakePicture : ActivityResultContract<Uri, Boolean>()

    open class TakePicturePreview : ActivityResultContract<Void?, Bitmap?>()

    class RequestPermission : ActivityResultContract<String, Boolean>()
}
