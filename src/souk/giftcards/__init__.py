"""giftcards domain: gift cards and store credit as one balance ledger."""
