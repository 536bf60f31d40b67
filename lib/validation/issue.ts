/** One problem with an input, worded for people: where it is and what is wrong. */
export interface ValidationIssue {
  /** JSON Pointer into the request body (`/body/email`, `/id`). */
  path: string;
  message: string;
}
