// Photos are shrunk on the phone before they are queued: turned upright by their EXIF orientation,
// the long edge at most 2048 px, re-encoded as JPEG. A 12 MP photo (4–6 MB) becomes a few hundred
// kilobytes to cross a weak network, and the original (with its EXIF: the camera, the home's GPS)
// never leaves the phone. The API applies the same limit, so nothing is lost by doing it here.

export const MAX_EDGE = 2048;
const QUALITY = 0.85;

/** A shrunk JPEG of the picked or taken image, or the original when this browser cannot decode it (HEIC). */
export async function shrink(file) {
  let bitmap;
  try {
    // 'from-image' applies the EXIF orientation, as a phone's gallery shows the photo.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { blob: file, name: file.name, width: null, height: null, shrunk: false };
  }
  const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  const width = Math.round(bitmap.width * scale);
  const height = Math.round(bitmap.height * scale);
  let blob;
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
    blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: QUALITY });
  } else {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
    blob = await new Promise(resolve => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  }
  bitmap.close();
  const name = `${(file.name || 'photo').replace(/\.[^.]*$/, '')}.jpg`;
  return { blob, name, width, height, shrunk: true, originalBytes: file.size };
}
