// What an http probe reports about its run (`details` of its result).
/** http: the response. */
export interface HttpDetails {
  status: number;
  bodyBytes: number;
  bodyTruncated: boolean;
}

/** Any detail an http run reports. */
export type HttpProbeDetails = HttpDetails;
