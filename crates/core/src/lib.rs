//! The pure core of Data Action Timeouts: everything that is neither drawing nor serving HTTP.
