//! MS-FSCC codecs (in progress).
