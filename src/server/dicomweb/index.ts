// DICOMweb for grants (PS3.18): the DICOM JSON Model, QIDO-RS matching, WADO-RS multipart bodies
// and frames, and the grant's zip download. Pure functions over stored instances; the routes
// (src/server/routes/dicomweb.ts) add authentication, audit and expiry.
export { frameBytes, FrameError, parseFrameList } from "./frames.ts";
export { type InstanceSummary, type Level, parseQuery, QidoError, search } from "./qido.ts";
export { summarizeInstance, InstanceError } from "./instance.ts";
export { type DicomJson, type DicomJsonAttribute, firstString, PIXEL_DATA, toDicomJson } from "./json.ts";
export { attribute, tagOf } from "./keywords.ts";
export { multipartRelated, type Part, parseMultipart } from "./multipart.ts";
export { type GrantZip, grantZip, type ZipInstance } from "./zip.ts";
