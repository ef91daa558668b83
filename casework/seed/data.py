"""Fixed vocabularies for the synthetic LA: invented names and places, DfE ethnicity codes and
home languages with rough national weights. Nothing here describes a real person or school."""

from __future__ import annotations

LA_CODE = "931"
FIRST_URN = 140001

FORENAMES = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Ivy", "Arthur",
    "Freya", "Muhammad", "Lily", "Harry", "Florence", "Oscar", "Evie", "Jack", "Sophia", "Theo",
    "Zofia", "Jakub", "Aisha", "Yusuf", "Maryam", "Ibrahim", "Grace", "Alfie", "Ella", "Finley",
    "Ruby", "Archie", "Poppy", "Henry", "Willow", "Charlie", "Daisy", "Thomas", "Layla", "Reggie",
)  # fmt: skip
ADULT_FORENAMES = (
    "Sarah", "James", "Emma", "Daniel", "Laura", "Michael", "Rachel", "David", "Hannah", "Paul",
    "Anna", "Piotr", "Fatima", "Imran", "Joanne", "Mark", "Nadia", "Steven", "Claire", "Tomasz",
)  # fmt: skip
SURNAMES = (
    "Ashby", "Brook", "Carver", "Dale", "Ellery", "Fenwick", "Garside", "Holt", "Ingram",
    "Jessop", "Kirkby", "Lister", "Marsh", "Nettleton", "Oakes", "Pickles", "Quarmby", "Rhodes",
    "Sutcliffe", "Thwaite", "Umpleby", "Varley", "Whiteley", "Yeadon", "Nowak", "Kowalski",
    "Hussain", "Begum", "Akhtar", "Okafor", "Mensah", "Farah", "Patel", "Chen", "Moreira",
)  # fmt: skip
PLACES = (
    "Ashcroft", "Brackenfield", "Calder Vale", "Dunmore", "Eastwood Lane", "Fairholme",
    "Greystones", "Hartley Bank", "Ivy Green", "Juniper Hill", "Kestrel Moor", "Larkspur",
    "Millbrook", "Northcliffe", "Oakfield", "Pennine View", "Queensbury Road", "Riverside",
    "St Aidan's", "Thornbury", "Upperdale", "Valley Road", "Westgate", "Yew Tree",
)  # fmt: skip
STREETS = (
    "High Street", "Mill Lane", "Church Road", "Station Road", "Park Avenue", "Victoria Street",
    "Moor Lane", "Albert Road", "Green Lane", "Manor Way", "King Street", "Chapel Fold",
)  # fmt: skip

# DfE main ethnicity codes with rough shares of England's pupils, and the home language (DfE
# language codes) most families of that group use when it is not English.
ETHNICITIES: tuple[tuple[str, float, str], ...] = (
    ("WBRI", 0.62, "ENG"),
    ("WIRI", 0.01, "ENG"),
    ("WOTH", 0.07, "POL"),
    ("WROM", 0.01, "RMN"),
    ("MWBC", 0.02, "ENG"),
    ("MWBA", 0.01, "ENG"),
    ("MWAS", 0.02, "ENG"),
    ("MOTH", 0.02, "ENG"),
    ("AIND", 0.03, "PNJ"),
    ("APKN", 0.05, "URD"),
    ("ABAN", 0.02, "BNG"),
    ("AOTH", 0.02, "TAM"),
    ("BAFR", 0.04, "SOM"),
    ("BCRB", 0.01, "ENG"),
    ("CHNE", 0.01, "CHI"),
    ("OOTH", 0.02, "ARA"),
    ("REFU", 0.01, "ENG"),
    ("NOBT", 0.01, "ENG"),
)

RELATIONSHIPS_SECOND_PR = ("father", "mother")
RELATIONSHIPS_NON_PR = ("stepfather", "stepmother", "grandmother", "grandfather", "aunt", "uncle")
