/**
 * Export files on S3 (or the local S3 emulator, same protocol): the file itself by multipart upload
 * (parts of at least 5 MiB but the last), the carry (what an invocation had gathered short of a part,
 * kept for the next one) and the id lists that let a restarted scroll skip records already written.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface UploadedPart {
  n: number;
  etag: string;
}

export class ExportFiles {
  readonly #s3: S3Client;
  readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.bucket = bucket;
  }

  async startUpload(key: string, contentType: string): Promise<string> {
    const { UploadId } = await this.#s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error('S3 returned no upload id');
    return UploadId;
  }

  async uploadPart(key: string, uploadId: string, n: number, body: Uint8Array): Promise<UploadedPart> {
    const { ETag } = await this.#s3.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body }),
    );
    if (!ETag) throw new Error('S3 returned no ETag for a part');
    return { n, etag: ETag };
  }

  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    await this.#s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
      }),
    );
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<Buffer> {
    const { Body } = await this.#s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!Body) return Buffer.alloc(0);
    return Buffer.from(await Body.transformToByteArray());
  }

  /** A presigned GET that expires after `seconds`, saved under `filename`. */
  async downloadUrl(key: string, filename: string, seconds: number): Promise<string> {
    return getSignedUrl(
      this.#s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentDisposition: `attachment; filename="${filename}"`,
      }),
      { expiresIn: seconds },
    );
  }
}
