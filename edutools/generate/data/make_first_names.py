"""Rebuild first_names.txt, the given names that privacy.mask_pii masks without a cue.

Sources (run by hand; nothing is downloaded at run time):

- US Census Bureau, 1990 census name frequency files ``dist.female.first`` and
  ``dist.male.first`` (public domain), as shipped in the PyPI package ``names==0.3.0``
  (``pip download --no-deps --no-binary :all: names==0.3.0`` and unpack it);
- the given names below, common in the countries our users teach in and missing from a
  1990 US census (written for this project);
- an English word list (Debian's ``wamerican``, ``/usr/share/dict/words``): a rare name
  that is also a lower-case English word is left out, and so is every name in AMBIGUOUS
  (Mark, Rose, Will, Gene, Iris, ...), because masking it without a cue would remove course
  content. Common names that are also words (John, Maria, Tom) stay.

Usage: python make_first_names.py PATH/TO/names-0.3.0/names /usr/share/dict/words
"""

from __future__ import annotations

import sys
from pathlib import Path

INTERNATIONAL = """
Aarav Aditya Ahmed Aiko Aisha Ajay Akira Alejandro Alessandro Ali Amara Amina Amit Ananya Anh
Anjali Arjun Astrid Ayesha Ayse Bao Burak Camila Chen Chiara Chidi Chinedu Chioma Ciaran Cormac
Dmitri Duc Elif Emeka Emre Eoin Fatima Fatma Finn Francesca Freya Giulia Hamza Hana Hao Haruto
Hassan Hiroshi Hui Hussein Hyun Ibrahim Ines Ingrid Ishaan Jakub Javier Jing Joao Jonas Jun Kavya
Kemal Kenji Khalid Kofi Kwame Lars Leila Lerato Lina Linh Lorenzo Luca Lukas Mateo Matteo Mehmet
Mei Minh Ming Mohamed Mohammad Mohammed Muhammad Mustafa Nadia Neha Ngozi Nikhil Nils Niamh Njeri
Nour Oksana Olga Oluwaseun Omar Otieno Pablo Piotr Pooja Priya Rahul Rajesh Ravi Rohan Rhys Sakura
Samir Sanjay Santiago Satoshi Sergei Shreya Siddharth Siobhan Sipho Sneha Sofia Sven Svetlana
Takeshi Thabo Thiago Tomasz Tunde Valentina Vikram Wanjiru Wei Xiao Yan Yasmin Yuki Yulia Yusuf
Zainab Zeynep Zhang Zoltan Aoife Bronwen Gareth Sinead Katarzyna Agnieszka Natasha Anastasia
Oleksandr Adebayo Abena Nomvula Achieng Deepak Kiran Vivek Aaliyah Jamal Malik Tariq Yara
"""
AMBIGUOUS = set(
    [
        "Mark",
        "Will",
        "Rose",
        "Gene",
        "Iris",
        "May",
        "June",
        "April",
        "August",
        "Grace",
        "Hope",
        "Faith",
        "Joy",
        "Lily",
        "Violet",
        "Amber",
        "Ruby",
        "Crystal",
        "Dawn",
        "Summer",
        "Autumn",
        "Sky",
        "River",
        "Chase",
        "Hunter",
        "Cole",
        "Dean",
        "Guy",
        "Art",
        "Ray",
        "Sandy",
        "Rich",
        "Frank",
        "Miles",
        "Norm",
        "Eve",
        "Max",
        "Pat",
        "Sue",
        "Don",
        "Ken",
        "Jack",
        "Bill",
        "Bob",
        "Rob",
        "Angel",
        "Case",
        "Carol",
        "Chance",
        "Page",
        "Penny",
        "Holly",
        "Ivy",
        "Jade",
        "Pearl",
        "Star",
        "Sunny",
        "Rock",
        "Stone",
        "Clay",
        "Glen",
        "Lane",
        "Wade",
        "Drew",
        "Van",
        "Dale",
        "Young",
        "Royal",
        "King",
        "Earl",
        "Duke",
        "Major",
        "Prince",
        "Sterling",
        "Price",
        "Hall",
        "Basil",
        "Sage",
        "Heather",
        "Olive",
        "Ginger",
        "Poppy",
        "Daisy",
        "Fern",
        "Flora",
        "Gale",
        "Storm",
        "Rain",
        "Sol",
        "Luna",
        "Stella",
        "Nova",
        "Neon",
        "Ion",
        "Cliff",
        "Brook",
        "Brooke",
        "Hazel",
        "Jasmine",
        "Melody",
        "Harmony",
        "Destiny",
        "Trinity",
        "Patience",
        "Constance",
        "Prudence",
        "Mercy",
        "Charity",
        "Honor",
        "Justice",
        "Liberty",
        "Misty",
        "Stormy",
        "Windy",
        "Marina",
        "Nick",
        "Gay",
        "Randy",
        "Dick",
        "Else",
        "Long",
        "Man",
        "Many",
        "Miss",
        "Min",
        "Ping",
        "See",
        "Soon",
        "Sun",
        "Tiny",
        "Carry",
        "Delta",
        "Manual",
        "Numbers",
        "Page",
        "Bud",
        "Buck",
        "Buster",
        "Butch",
        "Cash",
        "Colt",
        "Dusty",
        "Forest",
        "Gray",
        "Grey",
        "Heath",
        "Jewel",
        "Kitty",
        "Ma",
        "Mason",
        "Noble",
        "Paris",
        "Sydney",
        "Victory",
        "Wynn",
        "Berry",
        "Cherry",
        "Coral",
        "Echo",
        "Flash",
        "Gold",
        "Silver",
        "Iron",
        "Copper",
        "Cotton",
        "Ocean",
        "Lake",
        "Sea",
        "Sparrow",
        "Robin",
        "Wren",
        "Jay",
        "Fox",
        "Wolf",
        "Bear",
        "Lion",
        "Lan",
        "Wan",
        "Man",
        "Pan",
        "Tan",
        "Bit",
        "Byte",
        "Mac",
        "Ping",
        "Node",
        "Port",
        "Router",
        "Hub",
    ]
)


def main(census: Path, words: Path) -> None:
    english = {w.strip() for w in words.read_text(encoding="utf-8").splitlines() if w.islower()}
    names = set(INTERNATIONAL.split())
    common: set[str] = set()
    for name in ("dist.female.first", "dist.male.first"):
        for line in (census / name).read_text(encoding="ascii").splitlines():
            n, percent = line.split()[0].title(), float(line.split()[1])
            names.add(n)
            if percent >= 0.02:  # about the 1,000 most frequent names of each sex
                common.add(n)
    kept = sorted(
        n
        for n in names
        if len(n) >= 3 and n not in AMBIGUOUS and (n in common or n.lower() not in english)
    )
    out = Path(__file__).with_name("first_names.txt")
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(kept)} names written to {out} ({len(names) - len(kept)} left out)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
